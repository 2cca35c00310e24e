/**
 * The bodies a device keeps of the encrypted messages it opened (docs/security.md, section 6)
 * go when the person clears the chat or deletes messages for themself (on this device or
 * another), signs out, or the device is removed.
 */
import { MemoryChatStore, MyChatClient, type ChatMessage, type ClientType } from '@mychat/sdk';
import { E2ee, keptSeqsIn, MemoryKeyStore } from '@mychat/sdk/e2ee';
import { describe, expect, it, vi } from 'vitest';
import { PASSWORD } from '../../../test/helpers/auth-helpers.js';
import { CONTACTS_SETUPS } from '../../../test/helpers/contacts-helpers.js';
import { e2eeSdkEnv, KDF, PASSPHRASE } from './e2ee.sdk.test-helpers.js';

describe.each(CONTACTS_SETUPS.filter((s) => !s.fakeMessage))(
  'kept bodies of opened messages ($name)',
  (setup) => {
    const t = e2eeSdkEnv(setup);
    const { account } = t;

    /** One device, with the seqs of a chat it keeps bodies of (`kept`). */
    async function device(email: string, clientType: ClientType = 'pc') {
      const d = await t.device(email, clientType);
      // Read from the store's blocks (decrypted with its local key), once the keeps are written.
      const kept = async (conv: string) => {
        await d.e2ee.settled();
        return keptSeqsIn(d.map, d.id, conv);
      };
      return { ...d, kept };
    }

    /** A and B, friends with keys (B's backed up), and A's encrypted chat with B. */
    async function pair() {
      const [emailA, emailB] = [await account('A'), await account('B')];
      const [a, b] = [await device(emailA), await device(emailB)];
      await t.friends(a, b);
      await a.e2ee.setup();
      await b.e2ee.setup({ passphrase: PASSPHRASE });
      return { emailB, a, b, chat: await a.e2ee.openChat(b.id) };
    }

    const texts = async (e: E2ee, list: ChatMessage[]) =>
      (await e.openAll(list)).map((r) =>
        r.ok && r.body.type === 'text' ? r.body.text : r.ok ? r.body.type : r.reason,
      );

    it('clearing and deleting for me (here or on another device) and signing out drop them', async (ctx) => {
      if (!t.available) return ctx.skip();
      const { emailB, a, b, chat } = await pair();
      const sent: ChatMessage[] = [];
      for (let i = 1; i <= 4; i++) sent.push(await a.e2ee.sendText(chat, `m${i}`));
      expect(await texts(b.e2ee, sent)).toEqual(['m1', 'm2', 'm3', 'm4']);
      const seqs = sent.map((m) => m.seq);
      expect(await b.kept(chat.id)).toEqual(seqs);

      // Deleted for me here: that one goes; the others stay and still open.
      await b.c.records.hideMessages(chat.id, [seqs[3]!]);
      await vi.waitFor(async () => expect(await b.kept(chat.id)).toEqual(seqs.slice(0, 3)));
      // Cleared on my other device: this one hears of it and drops the rest.
      const bPhone = await device(emailB, 'ios');
      await bPhone.c.records.clearHistory(chat.id);
      await vi.waitFor(async () => expect(await b.kept(chat.id)).toEqual([]));
      // The peer's kept bodies are theirs: untouched by my clearing.
      await texts(a.e2ee, sent);
      expect(await a.kept(chat.id)).toEqual(seqs);

      // Cleared while no E2ee ran on this device: dropped when the next one starts.
      const more = [await a.e2ee.sendText(chat, 'm5'), await a.e2ee.sendText(chat, 'm6')];
      expect(await texts(b.e2ee, more)).toEqual(['m5', 'm6']);
      // The same keys and kept bodies on a client that synced the clear before any E2ee ran on
      // it (the app before the encrypted chat is opened), and is not connected: no event comes.
      await b.e2ee.settled();
      const before = new Map(b.map);
      await bPhone.c.records.clearHistory(chat.id);
      const cleared = more[1]!.seq;
      await vi.waitFor(async () =>
        expect((await b.c.store.getConversation(chat.id))?.clearedSeq).toBe(cleared),
      );
      const synced = new MemoryChatStore();
      await synced.putConversations([(await b.c.store.getConversation(chat.id))!]);
      const c2 = t.track(
        new MyChatClient({
          baseUrl: t.env.server.baseUrl,
          device: { clientType: 'web', deviceId: 'k-web', name: 'vitest' },
          chatStore: synced,
        }),
      );
      await c2.auth.login({ to: { email: emailB }, password: PASSWORD });
      const keptIn = (map: Map<string, unknown>) => keptSeqsIn(map, b.id, chat.id);
      expect(await keptIn(before)).toEqual(more.map((m) => m.seq));
      await new E2ee(c2, { store: new MemoryKeyStore(before), kdf: KDF }).status();
      await vi.waitFor(async () => expect(await keptIn(before)).toEqual([]));

      // Signing out drops every kept body and the local key; the device keys stay.
      const last = await a.e2ee.sendText(chat, 'm7');
      expect(await texts(b.e2ee, [last])).toEqual(['m7']);
      expect(await b.kept(chat.id)).toEqual([last.seq]);
      await b.c.auth.logout();
      await vi.waitFor(() => expect([...b.map.keys()].filter((k) => k.includes('/opened/'))).toEqual([]));
      expect(b.map.has(`e2ee/${b.id}/device`)).toBe(true);
    });

    it('a removed device drops what it kept (removed here or from another device)', async (ctx) => {
      if (!t.available || setup.engine !== 'sqlite') return ctx.skip();
      const { emailB, a, b, chat } = await pair();
      const m = await a.e2ee.sendText(chat, 'kept');
      const [phone, tablet] = [await device(emailB, 'ios'), await device(emailB, 'android')];
      for (const d of [phone, tablet]) {
        expect(await d.e2ee.restore(PASSPHRASE)).toBe(true);
        expect(await texts(d.e2ee, [m])).toEqual(['kept']);
        expect(await d.kept(chat.id)).toEqual([m.seq]);
      }
      // Removed from another device: it finds out at its next status check; the remover keeps its own.
      expect(await texts(b.e2ee, [m])).toEqual(['kept']);
      await b.e2ee.removeDevice((await phone.e2ee.deviceId())!);
      expect(await b.kept(chat.id)).toEqual([m.seq]);
      expect(await phone.kept(chat.id)).toEqual([m.seq]);
      expect(await phone.e2ee.status()).toBe('restore');
      expect(await phone.kept(chat.id)).toEqual([]);
      // Removing itself.
      await tablet.e2ee.removeDevice((await tablet.e2ee.deviceId())!);
      expect(await tablet.kept(chat.id)).toEqual([]);
      expect(tablet.map.has(`e2ee/${b.id}/opened/key`)).toBe(false);
      expect(tablet.map.has(`e2ee/${b.id}/device`)).toBe(true);
    });
  },
);
