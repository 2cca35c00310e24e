import fs from 'node:fs';
import path from 'node:path';
import { MyChatClient, MyChatError, type ChatMessage, type Conversation } from '@mychat/sdk';
import { E2ee, MemoryKeyStore } from '@mychat/sdk/e2ee';
import { sql, type Kysely } from 'kysely';
import { describe, expect, it, vi } from 'vitest';
import { PASSWORD } from '../../../test/helpers/auth-helpers.js';
import { CONTACTS_SETUPS } from '../../../test/helpers/contacts-helpers.js';
import { userChannel } from '../../contracts/push-envelope.js';
import { e2eeSdkEnv, KDF, PASSPHRASE } from './e2ee.sdk.test-helpers.js';

/** Every row of every table, as text (bytes as latin1), to look for a canary in. */
async function dumpDatabase(db: Kysely<unknown>, engine: string): Promise<string> {
  const list =
    engine === 'sqlite'
      ? sql<{ name: string }>`select name from sqlite_master where type = 'table'`
      : engine === 'postgres'
        ? sql<{
            name: string;
          }>`select table_name as name from information_schema.tables where table_schema = current_schema()`
        : sql<{
            name: string;
          }>`select table_name as name from information_schema.tables where table_schema = database()`;
  let out = '';
  for (const { name } of (await list.execute(db)).rows) {
    const { rows } = await sql`select * from ${sql.table(name)}`.execute(db);
    out += JSON.stringify(rows, (_k, v: unknown) => {
      if (typeof v === 'bigint') return String(v);
      const b = v as { type?: string; data?: number[] };
      return b && b.type === 'Buffer' && Array.isArray(b.data) ? Buffer.from(b.data).toString('latin1') : v;
    });
  }
  return out;
}

/** Every file under a directory (the SQLite file and the local blob store live there). */
function filesUnder(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile())
    .map((e) => path.join(e.parentPath, e.name));
}

describe.each(CONTACTS_SETUPS.filter((s) => !s.fakeMessage))(
  'encrypted chats through the SDK ($name)',
  (setup) => {
    const t = e2eeSdkEnv(setup);
    const { account, device, friends } = t;

    const text = async (e: E2ee, m: ChatMessage) => {
      const r = await e.open(m);
      return r.ok && r.body.type === 'text' ? r.body.text : r.ok ? r.body.type : r.reason;
    };

    it('a canary sent as text and as a file is never in the database, the logs, the bus or the blob store', async (ctx) => {
      if (!t.available) return ctx.skip();
      const canary = `canary-${Date.now()}-tangerine`;
      const [a, b] = [await device(await account('A')), await device(await account('B'))];
      await friends(a, b);
      await a.e2ee.setup({ passphrase: PASSPHRASE });
      await b.e2ee.setup();
      const bus: Buffer[] = [];
      const busPort = t.env.server.app.value('bus');
      const subs = await Promise.all(
        [a.id, b.id].map((u) => busPort.subscribe(userChannel(u), (p) => void bus.push(Buffer.from(p)))),
      );
      const chat: Conversation = await a.e2ee.openChat(b.id);
      expect(chat.type).toBe('encrypted');
      const m = await a.e2ee.sendText(chat, canary);
      const file = await a.e2ee.sendFile(chat, new TextEncoder().encode(`file ${canary}`), {
        name: 'note.txt',
        mime: 'text/plain',
      });

      // B reads both; the file's bytes come back whole.
      expect(await text(b.e2ee, m)).toBe(canary);
      const opened = await b.e2ee.open(file);
      if (!opened.ok || opened.body.type !== 'file')
        throw new Error(`file did not open: ${JSON.stringify(opened)}`);
      expect(opened.body.file.name).toBe('note.txt');
      expect(new TextDecoder().decode(await b.e2ee.downloadFile(file, opened.body.file))).toBe(
        `file ${canary}`,
      );
      // What B's SDK stored from history is ciphertext too.
      const page = await b.c.messages.history(chat.id, { limit: 10 });
      expect(page.messages.map((x) => x.content.type)).toEqual(['encrypted', 'encrypted']);

      for (const s of subs) await s.unsubscribe();
      const sqlPort = t.env.server.app.value('sql');
      expect(await dumpDatabase(sqlPort.db as Kysely<unknown>, sqlPort.engine)).not.toContain(canary);
      expect(t.env.server.logs.join('\n')).not.toContain(canary);
      expect(bus.length).toBeGreaterThan(0);
      for (const p of bus) expect(p.includes(canary)).toBe(false);
      for (const f of filesUnder(t.env.server.dataDir))
        expect(fs.readFileSync(f).includes(canary), f).toBe(false);
    });

    it('the opens of a page fetch the sender’s keys once, not once per message', async (ctx) => {
      if (!t.available || setup.engine !== 'sqlite') return ctx.skip();
      const a = await device(await account('A'));
      let asked = 0;
      const c = new MyChatClient({
        baseUrl: t.env.server.baseUrl,
        device: { clientType: 'pc', deviceId: t.deviceId(), name: 'vitest' },
        fetch: (input, init) => {
          if ((input instanceof Request ? input.url : String(input)).includes('GetUserKeys')) asked++;
          return globalThis.fetch(input, init);
        },
      });
      t.track(c);
      const me = await c.auth.login({ to: { email: await account('B') }, password: PASSWORD });
      const store = new MemoryKeyStore();
      const b = { id: me.id, c, e2ee: new E2ee(c, { store, kdf: KDF }) };
      await friends(a, b);
      await a.e2ee.setup();
      await b.e2ee.setup();
      const chat = await a.e2ee.openChat(b.id);
      const sent: ChatMessage[] = [];
      for (let i = 0; i < 10; i++) sent.push(await a.e2ee.sendText(chat, `m${i}`));

      // A fresh E2ee on B's keys: nothing fetched yet; ten opens at once ask for A's keys once.
      const fresh = new E2ee(c, { store, kdf: KDF });
      asked = 0;
      const texts = await Promise.all(sent.map((m) => text(fresh, m)));
      expect(texts).toEqual(sent.map((_, i) => `m${i}`));
      expect(asked).toBe(1);
    });

    it('safety numbers match; a changed identity warns and blocks sending until accepted; tampering is refused', async (ctx) => {
      if (!t.available || setup.engine !== 'sqlite') return ctx.skip();
      const [a, b] = [await device(await account('A')), await device(await account('B'))];
      await friends(a, b);
      await a.e2ee.setup();
      await b.e2ee.setup();
      const chat = await a.e2ee.openChat(b.id);
      const [sa, sb] = [await a.e2ee.safetyNumber(b.id), await b.e2ee.safetyNumber(a.id)];
      expect(sa.digits).toMatch(/^\d{60}$/);
      expect(sb).toEqual(sa);
      expect(await a.e2ee.markVerified(b.id, 'mychat-sn:1:0:1:2')).toBe(false);
      expect(await a.e2ee.markVerified(b.id, sb.qr)).toBe(true);
      expect(await a.e2ee.trust(b.id)).toEqual({ verified: true, changed: false });

      const m = await a.e2ee.sendText(chat, 'hello');
      expect(await text(b.e2ee, m)).toBe('hello');
      // A changed byte of the ciphertext, of the wrapped key, or the wrong conversation: refused.
      const sealed = m.content.type === 'encrypted' ? m.content.sealed : undefined;
      const flip = (u: Uint8Array) => Uint8Array.from(u, (v, i) => (i === 3 ? v ^ 1 : v));
      const variant = (
        s: Partial<NonNullable<typeof sealed>>,
        conversationId = m.conversationId,
      ): ChatMessage => ({
        ...m,
        conversationId,
        content: { type: 'encrypted', sealed: { ...sealed!, ...s } },
      });
      expect(await text(b.e2ee, variant({ ciphertext: flip(sealed!.ciphertext) }))).toBe('tampered');
      expect(
        await text(b.e2ee, variant({ keys: sealed!.keys.map((k) => ({ ...k, wrapped: flip(k.wrapped) })) })),
      ).toBe('tampered');
      expect(await text(b.e2ee, variant({}, '1'))).toBe('tampered');
      expect(await text(b.e2ee, variant({ senderDeviceId: 'f'.repeat(32) }))).toBe('unknown-sender-device');

      // B starts over with a new identity: A is warned, cannot send until accepting it.
      const warned: string[] = [];
      a.e2ee.on('identityChanged', (u) => warned.push(u));
      await b.e2ee.setup({ replace: true });
      await expect(a.e2ee.sendText(chat, 'again')).rejects.toMatchObject({ reason: 'E2EE_IDENTITY_CHANGED' });
      expect(warned).toEqual([b.id]);
      expect(await a.e2ee.trust(b.id)).toEqual({ verified: false, changed: true });
      await a.e2ee.acceptIdentity(b.id);
      const again = await a.e2ee.sendText(chat, 'again');
      expect(await text(b.e2ee, again)).toBe('again');
      expect(await a.e2ee.trust(b.id)).toEqual({ verified: false, changed: false });
      // Plaintext through the ordinary API is refused, never sent.
      await expect(a.c.messages.sendText(chat.id, 'plain')).rejects.toBeInstanceOf(MyChatError);
    });

    it('a new device reads the past only with the backup; a removed device reads nothing new', async (ctx) => {
      if (!t.available || setup.engine !== 'sqlite') return ctx.skip();
      const emailA = await account('A');
      const emailB = await account('B');
      const [a1, b] = [await device(emailA), await device(emailB)];
      await friends(a1, b);
      await a1.e2ee.setup({ passphrase: PASSPHRASE });
      await b.e2ee.setup();
      const chat = await b.e2ee.openChat(a1.id);
      const old = await b.e2ee.sendText(chat, 'before the new device');

      // A third device without the backup: not set up, and starting over cannot read the past.
      const a2 = await device(emailA, 'web');
      expect(await a2.e2ee.status()).toBe('restore');
      expect(await text(a2.e2ee, old)).toBe('not-set-up');
      expect(await a2.e2ee.restore('wrong passphrase')).toBe(false);
      // With it: the old message opens through the backup key.
      expect(await a2.e2ee.restore(PASSPHRASE)).toBe(true);
      expect(await a2.e2ee.status()).toBe('ready');
      expect(await text(a2.e2ee, old)).toBe('before the new device');
      const both = await b.e2ee.sendText(chat, 'to both devices');
      expect(await text(a1.e2ee, both)).toBe('to both devices');
      expect(await text(a2.e2ee, both)).toBe('to both devices');

      // A removes a2, rotating the backup key a2 learnt: nothing sent afterwards opens there.
      await a1.e2ee.removeDevice((await a2.e2ee.deviceId())!, { passphrase: PASSPHRASE });
      const later = await b.e2ee.sendText(chat, 'after the removal');
      expect(await text(a2.e2ee, later)).toBe('not-for-this-device');
      expect(await text(a1.e2ee, later)).toBe('after the removal');
      // The backup still opens everything, old and new, on the next device.
      const a3 = await device(emailA, 'ios');
      expect(await a3.e2ee.restore(PASSPHRASE)).toBe(true);
      expect(await text(a3.e2ee, old)).toBe('before the new device');
      expect(await text(a3.e2ee, later)).toBe('after the removal');

      // B never made a backup: B's new device has none to restore and must start over, and then
      // cannot read what was sent before.
      const b2 = await device(emailB, 'web');
      await expect(b2.e2ee.restore(PASSPHRASE)).rejects.toMatchObject({ reason: 'E2EE_NO_BACKUP' });
      await b2.e2ee.setup({ replace: true });
      expect(await text(b2.e2ee, old)).toBe('not-for-this-device');
    });

    it('a removed device stays removed: what it sent before opens, nothing after; the passphrase changes only with the old one', async (ctx) => {
      if (!t.available) return ctx.skip();
      const [emailA, emailB] = [await account('A'), await account('B')];
      const [a1, b] = [await device(emailA), await device(emailB)];
      await friends(a1, b);
      await a1.e2ee.setup({ passphrase: PASSPHRASE });
      await b.e2ee.setup();
      const a2 = await device(emailA, 'web');
      expect(await a2.e2ee.restore(PASSPHRASE)).toBe(true);
      const chat = await a2.e2ee.openChat(b.id);
      const before = await a2.e2ee.sendText(chat, 'sent before the removal');

      // A wrong passphrase fails before anything is removed.
      const a2id = (await a2.e2ee.deviceId())!;
      await expect(a1.e2ee.removeDevice(a2id, { passphrase: 'not the passphrase' })).rejects.toMatchObject({
        reason: 'E2EE_WRONG_PASSPHRASE',
      });
      expect((await a1.e2ee.devices()).map((d) => d.deviceId)).toContain(a2id);
      await a1.e2ee.removeDevice(a2id, { passphrase: PASSPHRASE });
      expect((await b.e2ee.devices(a1.id)).map((d) => d.deviceId)).not.toContain(a2id);
      // B opens it for the first time after the removal: it still opens; what a2 sends now does not.
      expect(await text(b.e2ee, before)).toBe('sent before the removal');
      const after = await a2.e2ee.sendText(chat, 'sent after the removal');
      expect(
        after.content.type === 'encrypted' && after.content.sealed.keys.some((k) => k.deviceId === a2id),
      ).toBe(false);
      expect(await text(b.e2ee, after)).toBe('unknown-sender-device');

      // Changing the passphrase needs the current one; then only the new one opens the backup.
      const NEXT = 'a brand new passphrase';
      await expect(a1.e2ee.changePassphrase('not the passphrase', NEXT)).rejects.toMatchObject({
        reason: 'E2EE_WRONG_PASSPHRASE',
      });
      await expect(a1.e2ee.createBackup(NEXT)).rejects.toMatchObject({ reason: 'E2EE_WRONG_PASSPHRASE' });
      await a1.e2ee.changePassphrase(PASSPHRASE, NEXT);
      const a3 = await device(emailA, 'ios');
      expect(await a3.e2ee.restore(PASSPHRASE)).toBe(false);
      expect(await a3.e2ee.restore(NEXT)).toBe(true);
      expect(await text(a3.e2ee, before)).toBe('sent before the removal');

      // A forgotten passphrase: a new backup without the old backup keys reads only what follows.
      await a1.e2ee.createBackup('forgotten, so a new one', { forgotten: true });
      const later = await b.e2ee.sendText(await b.e2ee.openChat(a1.id), 'after the new backup');
      const a4 = await device(emailA, 'android');
      expect(await a4.e2ee.restore('forgotten, so a new one')).toBe(true);
      expect(await text(a4.e2ee, before)).toBe('not-for-this-device');
      expect(await text(a4.e2ee, later)).toBe('after the new backup');
    });

    it('a chat opened before reopens from the kept bodies: no agreement at all', async (ctx) => {
      if (!t.available || setup.engine !== 'sqlite') return ctx.skip();
      const [a, b] = [await device(await account('A')), await device(await account('B'))];
      await friends(a, b);
      await a.e2ee.setup();
      const store = new MemoryKeyStore();
      const bob = new E2ee(b.c, { store, kdf: KDF });
      await bob.setup();
      const chat = await a.e2ee.openChat(b.id);
      const sent: ChatMessage[] = [];
      for (let i = 0; i < 5; i++) sent.push(await a.e2ee.sendText(chat, `m${i}`));
      expect(await Promise.all(sent.map((m) => text(bob, m)))).toEqual(sent.map((_, i) => `m${i}`));
      // Kept in the background: written once settled.
      await bob.settled();

      const derive = vi.spyOn(globalThis.crypto.subtle, 'deriveBits');
      try {
        const reopened = new E2ee(b.c, { store, kdf: KDF });
        expect(await Promise.all(sent.map((m) => text(reopened, m)))).toEqual(sent.map((_, i) => `m${i}`));
        expect(derive).not.toHaveBeenCalled();
        // Without the kept bodies (openedStore false) every message is unwrapped again.
        const uncached = new E2ee(b.c, { store, kdf: KDF, openedStore: false });
        await Promise.all(sent.map((m) => text(uncached, m)));
        expect(derive.mock.calls.length).toBeGreaterThanOrEqual(sent.length);
        // A recalled message's kept body is dropped.
        await reopened.forgetOpened(sent[0]!);
        derive.mockClear();
        expect(await text(reopened, sent[0]!)).toBe('m0');
        expect(derive).toHaveBeenCalled();
      } finally {
        derive.mockRestore();
      }
    });
  },
);
