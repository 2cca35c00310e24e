import { auth } from '@mychat/protocol';
import { MyChatClient, type ChatMessage } from '@mychat/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PASSWORD, signUp, type AuthClient } from '../helpers/auth-helpers.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

/** Reactions, edits and pins through the SDK against a real server, live and on a new device. */
describe('sdk: reactions, edits and pins', () => {
  let server: TestServer;
  let api: AuthClient;
  const clients: MyChatClient[] = [];

  beforeAll(async () => {
    server = await startTestServer({ overrides: { message: { sendBurst: 1000, sendRatePerSecond: 1000 } } });
    api = server.client(auth.AuthService);
  });
  afterAll(async () => {
    for (const c of clients) await c.close();
    await server?.stop();
  });

  async function login(email: string, deviceId: string) {
    const client = new MyChatClient({
      baseUrl: server.baseUrl,
      device: { clientType: 'bot', deviceId, name: 'vitest' },
    });
    clients.push(client);
    const me = await client.auth.login({ to: { email }, password: PASSWORD });
    const updated: ChatMessage[] = [];
    client.on('messageUpdated', (m) => updated.push(m));
    return { client, me, email, updated };
  }

  async function until(cond: () => boolean | Promise<boolean>, what: string, ms = 5000) {
    const end = Date.now() + ms;
    while (!(await cond())) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  it('reacts, edits and pins live, and a new device gets the same state without replaying it', async () => {
    const alice = await login((await signUp(server, api, { nickname: 'Alice' })).email, 'alice-1');
    const bob = await login((await signUp(server, api, { nickname: 'Bob' })).email, 'bob-1');
    const { request } = await alice.client.contacts.request(bob.me.id, 'hi');
    const { conversationId: conv } = await bob.client.contacts.respond(request.id, 'accept');
    await Promise.all([alice.client.connect(), bob.client.connect()]);

    const m = await alice.client.messages.sendText(conv!, 'see you at 8');
    await until(async () => (await bob.client.store.getMessage(conv!, m.seq)) !== undefined, 'delivery');
    await bob.client.messages.markRead(conv!, m.seq);

    expect(await bob.client.messages.react(conv!, m.seq, '👍')).toEqual([
      { emoji: '👍', count: 1, mine: true },
    ]);
    await until(() => alice.updated.some((u) => u.reactions?.[0]?.count === 1), 'alice sees the reaction');
    expect(alice.updated.at(-1)!.reactions).toEqual([{ emoji: '👍', count: 1, mine: false }]);
    expect((await bob.client.store.getMessage(conv!, m.seq))!.reactions).toEqual([
      { emoji: '👍', count: 1, mine: true },
    ]);
    await alice.client.messages.react(conv!, m.seq, '👍');
    await until(
      async () => (await bob.client.store.getMessage(conv!, m.seq))?.reactions?.[0]?.count === 2,
      'bob sees two',
    );
    // Silent: nobody has anything unread, and the list still previews the text.
    const seen = await alice.client.messages.conversation(conv!);
    expect(seen.unreadCount).toBe(0);
    expect(seen.lastMessage?.seq).toBe(m.seq);

    const edited = await alice.client.messages.edit(conv!, m.seq, 'see you at 9');
    expect(edited.editedAt).toBeGreaterThan(0);
    await until(async () => {
      const c = (await bob.client.store.getMessage(conv!, m.seq))?.content;
      return c?.type === 'text' && c.text === 'see you at 9';
    }, 'bob sees the edit');
    expect((await bob.client.messages.conversation(conv!)).unreadCount).toBe(0);
    await expect(bob.client.messages.edit(conv!, m.seq, 'mine')).rejects.toMatchObject({
      reason: 'PERMISSION_DENIED',
    });

    expect(await bob.client.messages.pin(conv!, m.seq)).toEqual([m.seq]);
    await until(
      async () => (await alice.client.messages.conversation(conv!)).pinnedSeqs.includes(m.seq),
      'alice sees the pin',
    );
    expect((await alice.client.messages.pinned(conv!)).map((p) => p.seq)).toEqual([m.seq]);
    await bob.client.messages.unreact(conv!, m.seq, '👍');

    // A new device of Bob's: the history page carries the aggregates, and the events that
    // come with it change nothing more.
    const bob2 = await login(bob.email, 'bob-2');
    await bob2.client.connect();
    const page = await bob2.client.messages.history(conv!);
    const shown = page.messages.find((x) => x.seq === m.seq)!;
    expect(shown.reactions).toEqual([{ emoji: '👍', count: 1, mine: false }]);
    expect(shown.content).toEqual({ type: 'text', text: 'see you at 9' });
    expect(shown.editedAt).toBe(edited.editedAt);
    const conv2 = await bob2.client.messages.conversation(conv!);
    expect(conv2.pinnedSeqs).toEqual([m.seq]);
  });
});
