/**
 * History pages of what a device keeps (GetHistoryRequest.e2ee_kept, docs/protocol.md section
 * 18): the server leaves out the sealed bytes of the encrypted messages in the range and sends
 * everything else; `E2ee.history` makes them whole from the kept bodies, and asks again without
 * the range when it cannot (a kept block missing or damaged).
 */
import { message } from '@mychat/protocol';
import { isElided, MyChatClient, type ChatMessage } from '@mychat/sdk';
import { E2ee, MemoryKeyStore } from '@mychat/sdk/e2ee';
import { describe, expect, it, vi } from 'vitest';
import { PASSWORD } from '../../../test/helpers/auth-helpers.js';
import { CONTACTS_SETUPS } from '../../../test/helpers/contacts-helpers.js';
import { e2eeSdkEnv, KDF } from './e2ee.sdk.test-helpers.js';

describe.each(CONTACTS_SETUPS.filter((s) => !s.fakeMessage))('pages of kept messages ($name)', (setup) => {
  const t = e2eeSdkEnv(setup);

  const texts = async (e: E2ee, list: ChatMessage[]) =>
    (await e.openAll(list)).map((r) => (r.ok && r.body.type === 'text' ? r.body.text : r.ok || r.reason));

  /** B has opened A's five messages (the third recalled after), on a device whose store is `map`. */
  async function opened() {
    const [emailA, emailB] = [await t.account('A'), await t.account('B')];
    const [a, b] = [await t.device(emailA), await t.device(emailB)];
    await t.friends(a, b);
    await a.e2ee.setup();
    await b.e2ee.setup();
    const chat = await a.e2ee.openChat(b.id);
    const sent: ChatMessage[] = [];
    for (let i = 1; i <= 5; i++) sent.push(await a.e2ee.sendText(chat, `canary-${i}`));
    expect(await texts(b.e2ee, sent)).toHaveLength(5);
    await b.e2ee.settled();
    await a.c.messages.recall(chat.id, sent[2]!.seq);
    return { emailB, b, chat, seqs: sent.map((m) => m.seq) };
  }

  /** A fresh client of B's device (its keys and kept bodies in `map`), nothing in its chat store. */
  async function fresh(emailB: string, map: Map<string, unknown>) {
    const c = t.track(
      new MyChatClient({
        baseUrl: t.env.server.baseUrl,
        device: { clientType: 'android', deviceId: t.deviceId(), name: 'vitest' },
      }),
    );
    await c.auth.login({ to: { email: emailB }, password: PASSWORD });
    const e2ee = new E2ee(c, { store: new MemoryKeyStore(map), kdf: KDF });
    await e2ee.deviceId();
    return { c, e2ee, asked: vi.spyOn(c.messages, 'history') };
  }

  it('leaves out the sealed bytes of kept messages and nothing else; the page opens the same', async (ctx) => {
    if (!t.available) return ctx.skip();
    const { emailB, b, chat, seqs } = await opened();
    const deviceId = (await b.e2ee.deviceId())!;
    // The wire: in the range, no ciphertext, ephemeral key or wrapped key; the rest as before.
    const { rpc, authed } = b.c.rpcFor(message.MessageService);
    const page = (e2eeKept?: { fromSeq: number; toSeq: number }) =>
      authed((h) =>
        rpc.getHistory(
          { conversationId: chat.id, limit: 10, e2eeDeviceId: deviceId, ...(e2eeKept && { e2eeKept }) },
          h,
        ),
      );
    const [whole, left] = [await page(), await page({ fromSeq: seqs[1]!, toSeq: seqs[4]! })];
    const sealed = (m: message.Message) =>
      m.content?.body.case === 'encrypted' ? m.content.body.value : undefined;
    expect(left.messages.map((m) => m.seq)).toEqual(whole.messages.map((m) => m.seq));
    for (const [i, m] of left.messages.entries()) {
      const w = whole.messages[i]!;
      expect({ ...m, content: undefined }).toEqual({ ...w, content: undefined });
      // The recalled one is a tombstone, and the recall an event of its own.
      if (m.recalled || !sealed(w)) continue;
      const [s, ws] = [sealed(m)!, sealed(w)!];
      expect([s.version, s.nonce, s.senderDeviceId]).toEqual([ws.version, ws.nonce, ws.senderDeviceId]);
      const out = m.seq !== seqs[0];
      expect([s.ciphertext.length, s.ephemeralKey.length, s.keys.length].every((n) => n === 0)).toBe(out);
      if (!out) expect(s).toEqual(ws);
    }
    // The recalled message stays a tombstone.
    expect(left.messages.find((m) => m.seq === seqs[2])).toMatchObject({ recalled: true });
    for (const bad of [
      { fromSeq: 0, toSeq: 3 },
      { fromSeq: 4, toSeq: 3 },
    ])
      await expect(page(bad)).rejects.toMatchObject({ reason: 'INVALID_ARGUMENT', field: 'e2eeKept' });

    // Through the SDK, on a fresh client: one request, the range left out, the messages made
    // whole (as a page for this device carries them), opened from the kept bodies.
    const f = await fresh(emailB, b.map);
    const got = await f.e2ee.history({ id: chat.id, lastSeq: seqs[4]! }, { limit: 10 });
    expect(f.asked).toHaveBeenCalledTimes(1);
    const asked = f.asked.mock.calls[0]![1]!.e2eeKept!;
    expect([asked.fromSeq <= seqs[0]!, asked.toSeq]).toEqual([true, seqs[4]]);
    expect(got.messages.filter(isElided)).toEqual([]);
    // The chat store keeps them as they came: their sealed bytes only in the kept bodies.
    const stored = await Promise.all(seqs.map((s) => f.c.store.getMessage(chat.id, s)));
    expect(stored.map((m) => m && isElided(m))).toEqual([true, true, false, true, true]);
    const perDevice = (await f.c.messages.history(chat.id, { limit: 10 })).messages;
    expect(got.messages.map((m) => m.content)).toEqual(perDevice.map((m) => m.content));
    expect(got.messages.find((m) => m.seq === seqs[2])).toMatchObject({ recalled: true });
    const derive = vi.spyOn(globalThis.crypto.subtle, 'deriveBits');
    try {
      const live = got.messages.filter((m) => m.content.type === 'encrypted');
      expect(await texts(f.e2ee, live)).toEqual(['canary-1', 'canary-2', 'canary-4', 'canary-5']);
      expect(derive).not.toHaveBeenCalled();
    } finally {
      derive.mockRestore();
    }
  });

  it('asks again without the range when a kept block is missing or does not open', async (ctx) => {
    if (!t.available) return ctx.skip();
    const { emailB, b, chat, seqs } = await opened();
    const block = [...b.map.keys()].find((k) => k.includes(`/opened/b/${chat.id}/`))!;
    const saved = b.map.get(block) as { iv: Uint8Array; ct: Uint8Array };
    for (const damage of [
      () => b.map.delete(block),
      () => b.map.set(block, { iv: saved.iv, ct: saved.ct.map((v, i) => (i ? v : v ^ 1)) }),
    ]) {
      damage();
      const f = await fresh(emailB, b.map);
      const got = await f.e2ee.history({ id: chat.id, lastSeq: seqs[4]! }, { limit: 10 });
      expect(f.asked).toHaveBeenCalledTimes(2);
      expect(f.asked.mock.calls[1]![1]).not.toHaveProperty('e2eeKept');
      expect(got.messages.filter(isElided)).toEqual([]);
      const live = got.messages.filter((m) => m.content.type === 'encrypted');
      expect(await texts(f.e2ee, live)).toEqual(['canary-1', 'canary-2', 'canary-4', 'canary-5']);
      await f.e2ee.settled();
      b.map.set(block, saved);
    }
  });
});
