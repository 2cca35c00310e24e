import { auth } from '@mychat/protocol';
import { MyChatClient, MyChatError, type Conversation } from '@mychat/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PASSWORD, signUp, type AuthClient } from '../../../test/helpers/auth-helpers.js';
import { startTestServer, type TestServer } from '../../../test/helpers/test-server.js';

/**
 * `client.records` of the SDK against a real server, with one user on two devices: what one
 * device does for the user reaches the other live, nobody else's view changes.
 */
describe('sdk: client.records', () => {
  let server: TestServer;
  let api: AuthClient;
  const clients: MyChatClient[] = [];
  let n = 0;

  beforeAll(async () => {
    server = await startTestServer({ overrides: { message: { sendBurst: 1000, sendRatePerSecond: 1000 } } });
    api = server.client(auth.AuthService);
  });
  afterAll(async () => {
    for (const c of clients) await c.close();
    await server?.stop();
  });

  async function device(email: string, clientType: string) {
    const c = new MyChatClient({
      baseUrl: server.baseUrl,
      device: { clientType, deviceId: `r${++n}`, name: 'vitest' },
    });
    clients.push(c);
    const me = await c.auth.login({ to: { email }, password: PASSWORD });
    await c.connect();
    return { id: me.id, c };
  }

  async function until<T>(fn: () => T | Promise<T>, ok: (v: T) => boolean): Promise<T> {
    for (let i = 0; ; i++) {
      const v = await fn();
      if (ok(v) || i > 400) return v;
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  it('forwards as a record with a note, deletes for me, clears and keeps drafts across my devices', async () => {
    const emailA = (await signUp(server, api, { nickname: 'A' })).email;
    const emailB = (await signUp(server, api, { nickname: 'B' })).email;
    const a1 = await device(emailA, 'web');
    const a2 = await device(emailA, 'pc');
    const b = await device(emailB, 'web');
    const { request } = await a1.c.contacts.request(b.id);
    const conv = (await b.c.contacts.respond(request.id, 'accept')).conversationId!;
    const self = await a1.c.messages.fileTransferConversation();
    const m1 = await a1.c.messages.sendText(conv, 'one');
    const m2 = await b.c.messages.sendText(conv, 'two');

    // Merge-forward into my file transfer, with a note after it.
    const record = await a1.c.records.forwardAsRecord(self.id, conv, [m2.seq, m1.seq], {
      title: 'Chat history',
      note: 'look at this',
    });
    expect(record.content).toMatchObject({
      type: 'chatRecord',
      title: 'Chat history',
      sourceType: 'direct',
      items: [
        { senderId: a1.id, content: { type: 'text', text: 'one' } },
        { senderId: b.id, content: { type: 'text', text: 'two' } },
      ],
    });
    const mine = await until(
      () => a2.c.messages.history(self.id),
      (p) => p.messages.length >= 2,
    );
    expect(mine.messages.map((m) => m.content.type).slice(-2)).toEqual(['chatRecord', 'text']);
    await expect(a1.c.records.forwardAsRecord(self.id, conv, [], { title: 'x' })).rejects.toBeInstanceOf(
      MyChatError,
    );

    // Delete for me on device 1: device 2 hears it, B does not.
    const seen: Conversation[] = [];
    a2.c.on('conversation', (c) => seen.push(c));
    await a1.c.records.hideMessages(conv, [m2.seq]);
    await until(
      () => seen,
      (s) => s.some((c) => c.id === conv && c.hiddenSeqs.includes(m2.seq)),
    );
    const onA2 = await a2.c.messages.history(conv);
    expect(onA2.messages.find((m) => m.seq === m2.seq)).toMatchObject({
      hidden: true,
      content: { type: 'empty' },
    });
    const onB = await b.c.messages.history(conv);
    expect(onB.messages.find((m) => m.seq === m2.seq)?.content).toEqual({ type: 'text', text: 'two' });

    // Drafts follow me; the older of two writes loses.
    await a1.c.records.setDraft(conv, 'half a thought', Date.now());
    await until(
      () => a2.c.messages.conversation(conv),
      (c) => c.draft?.text === 'half a thought',
    );
    const kept = await a2.c.records.setDraft(conv, 'older', Date.now() - 60_000);
    expect(kept.draft?.text).toBe('half a thought');
    expect((await b.c.messages.conversation(conv)).draft).toBeUndefined();

    // Clear on device 2: device 1's history is empty, B's is whole.
    await a2.c.records.clearHistory(conv);
    await until(
      () => a1.c.messages.conversation(conv),
      (c) => c.clearedSeq >= m2.seq,
    );
    expect((await a1.c.messages.history(conv)).messages).toEqual([]);
    expect((await b.c.messages.history(conv)).messages.map((m) => m.seq)).toEqual(
      expect.arrayContaining([m1.seq, m2.seq]),
    );
  });
});
