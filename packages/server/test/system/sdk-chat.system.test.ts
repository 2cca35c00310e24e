import { fromBinary } from '@bufbuild/protobuf';
import { auth, gateway } from '@mychat/protocol';
import {
  MyChatClient,
  type ChatMessage,
  type ConnectionState,
  type MessageMeta,
  type SendStateEvent,
} from '@mychat/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { PASSWORD, signUp, type AuthClient } from '../helpers/auth-helpers.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

/** Chat through the SDK against a real server (all modules, real sockets), as an app would. */
describe('sdk: chat', () => {
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

  /** A signed-up user with an SDK client that recorded every event from the start. */
  async function user(nickname: string, clientType: 'pc' | 'web' | 'bot' = 'pc', email?: string) {
    const signed = email ? { email } : await signUp(server, api, { nickname });
    const client = new MyChatClient({
      baseUrl: server.baseUrl,
      device: { clientType, deviceId: `${nickname}-${clientType}`, name: 'vitest' },
    });
    clients.push(client);
    const me = await client.auth.login({ to: { email: signed.email }, password: PASSWORD });
    const messages: { m: ChatMessage; meta: MessageMeta }[] = [];
    const states: ConnectionState[] = [];
    const sendStates: SendStateEvent[] = [];
    const kicked: string[] = [];
    client.on('message', (m, meta) => messages.push({ m, meta }));
    client.on('state', (s) => states.push(s));
    client.on('sendState', (e) => sendStates.push(e));
    client.on('kicked', (r) => kicked.push(r));
    // What people wrote (not the "You are now friends" line that opens a 1:1 chat).
    const texts = (conv: string) =>
      messages
        .filter((x) => x.m.conversationId === conv && x.m.content.type !== 'system')
        .map((x) => (x.m.content.type === 'text' ? x.m.content.text : '?'));
    return { client, me, email: signed.email, messages, states, sendStates, kicked, texts };
  }

  async function until(cond: () => boolean | Promise<boolean>, what: string, ms = 5000) {
    const end = Date.now() + ms;
    while (!(await cond())) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  /** Alice asks Bob through the SDK; Bob accepts; both get the conversation. */
  async function friends() {
    const alice = await user('Alice');
    const bob = await user('Bob');
    const found = await alice.client.contacts.search(bob.email);
    expect(found.map((u) => u.id)).toEqual([bob.me.id]);
    const { request, becameFriends } = await alice.client.contacts.request(bob.me.id, 'hi, it is Alice');
    expect(becameFriends).toBe(false);
    const { incoming } = await bob.client.contacts.requests();
    expect(incoming.map((r) => r.id)).toContain(request.id);
    const { conversationId } = await bob.client.contacts.respond(request.id, 'accept');
    expect(conversationId).toBeTruthy();
    expect((await alice.client.contacts.friends()).map((f) => f.conversationId)).toEqual([conversationId]);
    return { alice, bob, conv: conversationId! };
  }

  it('two friends chat both ways over the socket, with send states, receipts and history', async () => {
    const { alice, bob, conv } = await friends();
    await Promise.all([alice.client.connect(), bob.client.connect()]);
    expect(alice.states).toEqual(['connecting', 'authenticating', 'syncing', 'live']);
    expect((await bob.client.messages.conversations()).map((c) => c.id)).toContain(conv);

    const sent = await alice.client.messages.sendText(conv, 'hello Bob');
    expect(sent.seq).toBeGreaterThan(0);
    expect(sent.senderId).toBe(alice.me.id);
    await until(() => bob.texts(conv).includes('hello Bob'), 'Bob to receive');
    expect(bob.messages.find((x) => x.m.seq === sent.seq)!.meta.source).toBe('push');

    // Bob's client acknowledges delivery by itself; reading is Bob's decision.
    await until(
      () => alice.sendStates.some((e) => e.clientMsgId === sent.clientMsgId && e.state === 'delivered'),
      'delivered',
    );
    expect(await bob.client.messages.markRead(conv, sent.seq)).toBe(0);
    await until(
      () => alice.sendStates.some((e) => e.clientMsgId === sent.clientMsgId && e.state === 'read'),
      'read',
    );

    const reply = await bob.client.messages.sendText(conv, 'hi Alice', { replyToSeq: sent.seq });
    await until(() => alice.texts(conv).includes('hi Alice'), 'Alice to receive');
    expect(reply.replyToSeq).toBe(sent.seq);
    expect(alice.sendStates.filter((e) => e.clientMsgId === sent.clientMsgId).map((e) => e.state)).toEqual([
      'pending',
      'sent',
      'delivered',
      'read',
    ]);

    // Each side saw each message once, in seq order.
    for (const side of [alice, bob]) {
      const seqs = side.messages.filter((x) => x.m.conversationId === conv).map((x) => x.m.seq);
      expect(seqs).toEqual([...new Set(seqs)].sort((a, b) => a - b));
    }
    const history = await bob.client.messages.history(conv);
    expect(history.messages.map((m) => m.content)).toEqual([
      { type: 'system', kind: 'friend_added', args: {} },
      { type: 'text', text: 'hello Bob' },
      { type: 'text', text: 'hi Alice' },
    ]);
    const [first] = await alice.client.messages.conversations();
    expect(first!.id).toBe(conv);
    expect(first!.lastSeq).toBe(reply.seq);
  });

  it('a client that was away catches up on reconnect, in order, without duplicates', async () => {
    const { alice, bob, conv } = await friends();
    await Promise.all([alice.client.connect(), bob.client.connect()]);
    await alice.client.messages.sendText(conv, 'one');
    await until(() => bob.texts(conv).length === 1, 'first message');
    await bob.client.close();
    expect(bob.client.state).toBe('stopped');

    for (const t of ['two', 'three', 'four']) await alice.client.messages.sendText(conv, t);
    await bob.client.connect();
    expect(bob.texts(conv)).toEqual(['one', 'two', 'three', 'four']);
    // After the friends line and "one": everything came by sync.
    expect(bob.messages.slice(2).every((x) => x.meta.source === 'sync')).toBe(true);
  });

  it('sends queued while reconnecting go out once live, and a retry with the same clientMsgId is not a duplicate', async () => {
    const { alice, bob, conv } = await friends();
    await Promise.all([alice.client.connect(), bob.client.connect()]);
    const a = await alice.client.messages.sendText(conv, 'idempotent', { clientMsgId: 'sdk-fixed-id-0001' });
    const again = await alice.client.messages.sendText(conv, 'idempotent', {
      clientMsgId: 'sdk-fixed-id-0001',
    });
    expect(again.seq).toBe(a.seq);

    await alice.client.close();
    const queued = alice.client.messages.sendText(conv, 'while away');
    expect(await alice.client.messages.pending()).toHaveLength(1);
    await alice.client.connect();
    const m = await queued;
    await until(() => bob.texts(conv).includes('while away'), 'queued message');
    expect(bob.texts(conv)).toEqual(['idempotent', 'while away']);
    expect(m.seq).toBe(a.seq + 1);
    expect(await alice.client.messages.pending()).toEqual([]);
  });

  it('pipelines many sends and catches a fresh device up over several history pages', async () => {
    const { alice, bob, conv } = await friends();
    await alice.client.connect();
    const texts = Array.from({ length: 230 }, (_, i) => `m${i + 1}`);
    const sent = await Promise.all(texts.map((t) => alice.client.messages.sendText(conv, t)));
    expect(new Set(sent.map((m) => m.seq)).size).toBe(230);

    await bob.client.connect(); // a fresh store: everything comes by sync, 200 per page
    expect(bob.texts(conv)).toHaveLength(230);
    const seqs = bob.messages.map((x) => x.m.seq);
    expect(seqs).toEqual(Array.from({ length: 231 }, (_, i) => i + 1)); // 1: the friends line
    const older = await bob.client.messages.history(conv, { beforeSeq: 31, limit: 30 });
    expect(older.messages.map((m) => m.seq)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    expect(older.hasMore).toBe(false);
    const [c] = await bob.client.messages.conversations();
    expect(c!.unreadCount).toBe(230);
    expect(await bob.client.messages.markRead(conv, 231)).toBe(0);
    expect((await bob.client.messages.conversation(conv)).unreadCount).toBe(0);
  });

  it('recall, typing, settings, and a group chat', async () => {
    const { alice, bob, conv } = await friends();
    await Promise.all([alice.client.connect(), bob.client.connect()]);
    const typing: string[] = [];
    bob.client.on('typing', (t) => typing.push(t.userId));
    await alice.client.messages.typing(conv);
    await alice.client.messages.typing(conv); // throttled: dropped
    await until(() => typing.length === 1, 'typing');

    const oops = await alice.client.messages.sendText(conv, 'oops');
    await until(() => bob.texts(conv).includes('oops'), 'oops');
    const recall = await alice.client.messages.recall(conv, oops.seq);
    expect(recall.content).toMatchObject({ type: 'recall', seq: oops.seq });
    await until(
      async () => (await bob.client.store.getMessage(conv, oops.seq))?.recalled === true,
      'tombstone',
    );

    const pinned = await bob.client.messages.setConversationSettings(conv, { pinned: true });
    expect(pinned.pinned).toBe(true);
    expect((await bob.client.messages.conversations())[0]!.pinned).toBe(true);

    const group = await alice.client.groups.create('Team', [bob.me.id]);
    expect(group.myRole).toBe('owner');
    expect((await bob.client.groups.list()).map((g) => g.id)).toContain(group.id);
    expect((await alice.client.groups.members(group.id)).map((m) => m.role).sort()).toEqual([
      'member',
      'owner',
    ]);
    // Invite links: made, listed and revoked by the owner; a member may not list them.
    const link = await alice.client.groups.inviteLink(group.id, 1);
    expect(await alice.client.groups.inviteLinks(group.id)).toEqual([
      { id: link.linkId, createdBy: alice.me.id, createdAt: expect.any(Date), expiresAt: link.expiresAt },
    ]);
    await expect(bob.client.groups.inviteLinks(group.id)).rejects.toMatchObject({
      reason: 'PERMISSION_DENIED',
    });
    await alice.client.groups.revokeInviteLink(group.id, link.linkId);
    expect(await alice.client.groups.inviteLinks(group.id)).toEqual([]);
    const carol = await user('Carol');
    await expect(carol.client.groups.join(link.token)).rejects.toMatchObject({ reason: 'INVITE_INVALID' });
    await expect(alice.client.groups.revokeInviteLink(group.id, link.linkId)).rejects.toMatchObject({
      reason: 'NOT_FOUND',
    });
    await alice.client.messages.sendText(group.id, 'hello team');
    await until(() => bob.texts(group.id).includes('hello team'), 'group message');
    const receipts = await alice.client.messages.readReceipts(
      group.id,
      (await alice.client.messages.history(group.id)).messages.at(-1)!.seq,
    );
    expect(receipts.memberCount).toBe(1);
  });

  it('survives a dropped socket mid-send: reconnects, retries with the same clientMsgId, no duplicate', async () => {
    const { alice, bob, conv } = await friends();
    // Alice's sockets are real `ws` ones that the test can cut like a bad network would.
    const sockets: WebSocket[] = [];
    let cutAfterNextSend = false;
    class CuttableSocket extends WebSocket {
      constructor(url: string) {
        super(url);
        sockets.push(this);
      }
      override send(data: Uint8Array) {
        super.send(data);
        if (cutAfterNextSend && fromBinary(gateway.ClientFrameSchema, data).body.case === 'send') {
          cutAfterNextSend = false;
          this.terminate(); // the frame is out; its ack will never arrive on this socket
        }
      }
    }
    const flaky = new MyChatClient({
      baseUrl: server.baseUrl,
      device: { clientType: 'web', deviceId: 'flaky', name: 'vitest' },
      WebSocket: CuttableSocket as never,
      reconnect: { baseMs: 50, capMs: 200 },
    });
    clients.push(flaky);
    await flaky.auth.login({ to: { email: alice.email }, password: PASSWORD });
    const states: string[] = [];
    flaky.on('state', (st) => states.push(st));
    await Promise.all([flaky.connect(), bob.client.connect()]);

    cutAfterNextSend = true;
    const m = await flaky.messages.sendText(conv, 'through the storm');
    expect(sockets.length).toBeGreaterThanOrEqual(2);
    expect(states).toContain('reconnecting');
    await until(() => bob.texts(conv).includes('through the storm'), 'delivery after reconnect');

    // Bob's socket is cut while Alice keeps talking; he catches up when it comes back.
    await bob.client.close();
    for (const t of ['a', 'b']) await flaky.messages.sendText(conv, t);
    await bob.client.connect();
    expect(bob.texts(conv)).toEqual(['through the storm', 'a', 'b']);
    // After the "You are now friends" line (seq 1).
    expect(bob.messages.map((x) => x.m.seq)).toEqual([1, m.seq, m.seq + 1, m.seq + 2]);
  });

  it('a refused send fails with the reason; a kicked client stops and says so', async () => {
    const { alice, bob, conv } = await friends();
    await Promise.all([alice.client.connect(), bob.client.connect()]);
    await bob.client.contacts.block(alice.me.id);
    await expect(alice.client.messages.sendText(conv, 'let me in')).rejects.toMatchObject({
      name: 'MyChatError',
      reason: expect.stringMatching(/BLOCKED|NOT_FRIENDS/),
    });
    expect(alice.sendStates.at(-1)).toMatchObject({ state: 'failed' });

    // Bob signs in with the same client type elsewhere: this socket is kicked.
    const other = await user('Bob', 'pc', bob.email);
    await other.client.connect();
    await until(() => bob.client.state === 'stopped', 'kick');
    expect(bob.kicked).toEqual(['kicked']);
  });
});
