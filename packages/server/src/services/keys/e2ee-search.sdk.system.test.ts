import { searchEncryptedChat, type LocalHit } from '@mychat/sdk/e2ee';
import { describe, expect, it } from 'vitest';
import { CONTACTS_SETUPS } from '../../../test/helpers/contacts-helpers.js';
import { e2eeSdkEnv } from './e2ee.sdk.test-helpers.js';

/**
 * Search inside an encrypted chat happens on the device (docs/security.md section 6): the
 * SDK reads the history pages the server keeps, opens them here and matches the text. One
 * engine: the server's part is the history page, which the other e2ee tests cover on all three.
 */
describe.each(CONTACTS_SETUPS.filter((s) => s.engine === 'sqlite' && !s.fakeMessage))(
  'search in an encrypted chat, on the device ($name)',
  (setup) => {
    const t = e2eeSdkEnv(setup);
    const { account, device, friends } = t;

    it('finds text across pages, newest first, never a recalled message or a file', async (ctx) => {
      if (!t.available) return ctx.skip();
      const [a, b] = [await device(await account('A')), await device(await account('B'))];
      await friends(a, b);
      await a.e2ee.setup();
      await b.e2ee.setup();
      const chat = await a.e2ee.openChat(b.id);
      const first = await a.e2ee.sendText(chat, '明天去公园散步吗');
      for (let i = 0; i < 7; i++) await b.e2ee.sendText(chat, `filler ${i}`);
      await a.e2ee.sendFile(chat, new TextEncoder().encode('公园 in a file'), {
        name: '公园.txt',
        mime: 'text/plain',
      });
      const recalled = await b.e2ee.sendText(chat, '公园 recalled');
      await b.c.messages.recall(chat.id, recalled.seq);
      const last = await b.e2ee.sendText(chat, 'ＰＡＲＫ 公园 at six');

      const source = {
        page: (beforeSeq: number | undefined) =>
          b.c.messages.history(chat.id, { limit: 4, ...(beforeSeq !== undefined && { beforeSeq }) }),
        open: (ms: Parameters<typeof b.e2ee.openAll>[0]) => b.e2ee.openAll(ms),
      };
      const hits: LocalHit[] = [];
      let steps = 0;
      let scanned = 0;
      for await (const step of searchEncryptedChat(source, '公园')) {
        steps++;
        hits.push(...step.hits);
        scanned = step.scanned;
      }
      expect(hits.map((h) => h.seq)).toEqual([last.seq, first.seq]);
      expect(hits[1]!.text).toBe('明天去公园散步吗');
      expect(hits[1]!.highlights).toEqual([{ start: 3, end: 5 }]);
      // Every message of the chat read once, in pages of 4.
      const all = await b.c.messages.history(chat.id, { limit: 50 });
      expect(all.messages.length).toBeGreaterThanOrEqual(11);
      expect(scanned).toBe(all.messages.length);
      expect(steps).toBe(Math.ceil(all.messages.length / 4));

      // Width and case fold: "park" finds the full-width ＰＡＲＫ.
      const park: LocalHit[] = [];
      for await (const step of searchEncryptedChat(source, 'park')) park.push(...step.hits);
      expect(park.map((h) => [h.seq, h.highlights])).toEqual([[last.seq, [{ start: 0, end: 4 }]]]);

      // Bad input, before any page is read.
      await expect(searchEncryptedChat(source, '   ').next()).rejects.toThrow(RangeError);
      await expect(searchEncryptedChat(source, 'x'.repeat(101)).next()).rejects.toThrow(RangeError);
    });
  },
);
