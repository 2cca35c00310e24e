/**
 * History pages for one encrypted-chat device (GetHistoryRequest.e2ee_device_id, docs/protocol.md
 * section 18): each encrypted message carries only the wrapped keys that device can use (its
 * own and its account's backup key's); the SDK opens both these and whole messages, and what it
 * kept of either opens the other.
 */
import { message } from '@mychat/protocol';
import { MyChatClient, type ChatMessage } from '@mychat/sdk';
import { E2ee, MemoryKeyStore } from '@mychat/sdk/e2ee';
import { describe, expect, it, vi } from 'vitest';
import { PASSWORD } from '../../../test/helpers/auth-helpers.js';
import { CONTACTS_SETUPS } from '../../../test/helpers/contacts-helpers.js';
import { e2eeSdkEnv, KDF, PASSPHRASE } from './e2ee.sdk.test-helpers.js';

describe.each(CONTACTS_SETUPS.filter((s) => !s.fakeMessage))(
  'history pages with the wrapped keys of one device ($name)',
  (setup) => {
    const t = e2eeSdkEnv(setup);

    const texts = async (e: E2ee, list: ChatMessage[]) =>
      (await e.openAll(list)).map((r) => (r.ok && r.body.type === 'text' ? r.body.text : r.ok || r.reason));
    const wraps = (m: { content: ChatMessage['content'] }) =>
      m.content.type === 'encrypted' ? m.content.sealed.keys.map((k) => `${k.userId}/${k.deviceId}`) : [];

    it('carries only the device’s and the backup’s wrapped keys; the SDK opens both forms', async (ctx) => {
      if (!t.available) return ctx.skip();
      const [emailA, emailB] = [await t.account('A'), await t.account('B')];
      const [a, b] = [await t.device(emailA), await t.device(emailB)];
      await t.friends(a, b);
      await a.e2ee.setup();
      await b.e2ee.setup({ passphrase: PASSPHRASE });
      const chat = await a.e2ee.openChat(b.id);
      const before = await a.e2ee.sendText(chat, 'canary-before');
      // B's second device, restored from the backup: older messages open through the backup key.
      const phone = await t.device(emailB, 'ios');
      expect(await phone.e2ee.restore(PASSPHRASE)).toBe(true);
      const after = await a.e2ee.sendText(chat, 'canary-after');
      const [aDev, bDev, phoneDev] = [
        await a.e2ee.deviceId(),
        await b.e2ee.deviceId(),
        await phone.e2ee.deviceId(),
      ];
      expect(wraps(after).sort()).toEqual(
        [`${a.id}/${aDev}`, `${b.id}/${bDev}`, `${b.id}/${phoneDev}`, `${b.id}/backup`].sort(),
      );
      // The phone opens the whole messages (as sent, or pushed): their bodies are kept.
      expect(await texts(phone.e2ee, [before, after])).toEqual(['canary-before', 'canary-after']);

      // The wire: with the device, only its wrapped key and the backup's; without, every one.
      const { rpc, authed } = phone.c.rpcFor(message.MessageService);
      const page = (e2eeDeviceId?: string) =>
        authed((h) =>
          rpc.getHistory({ conversationId: chat.id, limit: 10, ...(e2eeDeviceId && { e2eeDeviceId }) }, h),
        );
      const keysOf = (r: message.GetHistoryResponse) =>
        r.messages.map((m) =>
          m.content?.body.case === 'encrypted' ? m.content.body.value.keys.map((k) => k.deviceId).sort() : [],
        );
      expect(keysOf(await page(phoneDev))).toEqual([['backup'], [phoneDev, 'backup'].sort()]);
      expect(keysOf(await page())).toEqual([
        [aDev, bDev, 'backup'].sort(),
        [aDev, bDev, phoneDev, 'backup'].sort(),
      ]);
      // Another device's id: that device's wrapped keys only (the backup's: a restore reads them).
      expect(keysOf(await page(bDev))).toEqual([[bDev, 'backup'].sort(), [bDev, 'backup'].sort()]);
      for (const bad of ['backup', 'ABC', `${phoneDev}0`])
        await expect(page(bad)).rejects.toMatchObject({ reason: 'INVALID_ARGUMENT' });

      // A fresh client of the phone (its keys, nothing in its chat store): the SDK asks for its
      // device's pages once the keys are loaded, and opens them from what it kept (no unwrapping).
      const c = t.track(
        new MyChatClient({
          baseUrl: t.env.server.baseUrl,
          device: { clientType: 'android', deviceId: 'w-fresh', name: 'vitest' },
        }),
      );
      await c.auth.login({ to: { email: emailB }, password: PASSWORD });
      const fresh = new E2ee(c, { store: new MemoryKeyStore(phone.map), kdf: KDF });
      expect(await fresh.deviceId()).toBe(phoneDev);
      const got = (await c.messages.history(chat.id, { limit: 10 })).messages;
      expect(got.map((m) => wraps(m).sort())).toEqual([
        [`${b.id}/backup`],
        [`${b.id}/${phoneDev}`, `${b.id}/backup`].sort(),
      ]);
      const derive = vi.spyOn(globalThis.crypto.subtle, 'deriveBits');
      try {
        expect(await texts(fresh, got)).toEqual(['canary-before', 'canary-after']);
        expect(derive).not.toHaveBeenCalled();
      } finally {
        derive.mockRestore();
      }
      // Opened from scratch too (nothing kept): through the backup key and the device key.
      const none = new E2ee(c, { store: new MemoryKeyStore(phone.map), openedStore: false, kdf: KDF });
      expect(await texts(none, got)).toEqual(['canary-before', 'canary-after']);
      // The other side reads whole messages as before.
      expect(await texts(b.e2ee, [before, after])).toEqual(['canary-before', 'canary-after']);
    });
  },
);
