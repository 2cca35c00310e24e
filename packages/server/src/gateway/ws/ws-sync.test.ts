import { contacts, type gateway, message } from '@mychat/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer } from '../../../test/helpers/auth-helpers.js';
import { startTestServer, type TestServer } from '../../../test/helpers/test-server.js';
import { closedWithin, connect, connectAuthed, newUser, type TestSocket } from './ws.test-helpers.js';

type Frame = gateway.ServerFrame;
const answerTo = (id: number) => (f: Frame) => f.requestId === id;
const reasonOf = (f: Frame) => (f.body.case === 'error' ? f.body.value.reason : undefined);

/** Sync and GetHistory on the socket: the same answers as the RPCs, on the connection a client has. */
describe('ws sync and history', () => {
  let server: TestServer;
  let alice: Awaited<ReturnType<typeof newUser>>;
  let bob: Awaited<ReturnType<typeof newUser>>;
  let a: TestSocket;
  let b: TestSocket;
  let conversationId = '';
  let nextId = 100;

  const ask = async (s: TestSocket, body: gateway.ClientFrame['body']) => {
    const requestId = nextId++;
    s.send({ requestId, body });
    return (await s.next(answerTo(requestId))).frame;
  };

  beforeAll(async () => {
    server = await startTestServer();
    alice = await newUser(server);
    bob = await newUser(server);
    const api = server.client(contacts.ContactsService);
    await api.sendFriendRequest({ userId: bob.userId }, bearer(alice.token));
    await api.sendFriendRequest({ userId: alice.userId }, bearer(bob.token)); // crossing: friends
    a = await connectAuthed(server, alice.token);
    b = await connectAuthed(server, bob.token);
    const sync = await ask(a, { case: 'sync', value: { sincePts: 0 } });
    if (sync.body.case !== 'sync') throw new Error(`expected sync, got ${sync.body.case}`);
    conversationId = sync.body.value.heads[0]!.conversationId;
    for (let i = 1; i <= 3; i++) {
      const sent = await ask(a, {
        case: 'send',
        value: {
          conversationId,
          clientMsgId: `ws-sync-${i}`,
          content: { body: { case: 'text', value: { text: `m${i}` } } },
        },
      });
      expect(sent.body.case).toBe('sendAck');
    }
  });
  afterAll(() => server?.stop());

  it('answers sync with the same heads and conversations as the Sync RPC', async () => {
    const frame = await ask(b, { case: 'sync', value: { sincePts: 0 } });
    expect(frame.body.case).toBe('sync');
    const onSocket = frame.body.value as message.SyncResponse;
    expect(onSocket.heads.map((h) => [h.conversationId, h.lastSeq])).toEqual([[conversationId, 4]]);
    const rpc = await server.client(message.MessageService).sync({ sincePts: 0 }, bearer(bob.token));
    expect(onSocket.pts).toBe(rpc.pts);
    expect(onSocket.conversations.map((c) => [c.id, c.lastSeq, c.unreadCount])).toEqual(
      rpc.conversations.map((c) => [c.id, c.lastSeq, c.unreadCount]),
    );
  });

  it('pages history forward and backward like GetHistory', async () => {
    const first = await ask(b, { case: 'history', value: { conversationId, afterSeq: 0, limit: 2 } });
    if (first.body.case !== 'history') throw new Error(`expected history, got ${first.body.case}`);
    // Seq 1 is the "You are now friends" line the accepted request wrote.
    expect(first.body.value.messages.map((m) => [m.seq, m.type, m.content?.body.case])).toEqual([
      [1, message.MessageType.SYSTEM, 'system'],
      [2, message.MessageType.TEXT, 'text'],
    ]);
    expect(first.body.value.messages[1]!.content?.body.value).toMatchObject({ text: 'm1' });
    expect(first.body.value.hasMore).toBe(true);
    const rest = await ask(b, { case: 'history', value: { conversationId, afterSeq: 2, limit: 2 } });
    expect(rest.body.case === 'history' && rest.body.value.messages.map((m) => m.seq)).toEqual([3, 4]);
    expect(rest.body.case === 'history' && rest.body.value.hasMore).toBe(false);
    const back = await ask(b, { case: 'history', value: { conversationId, beforeSeq: 0, limit: 2 } });
    expect(back.body.case === 'history' && back.body.value.messages.map((m) => m.seq)).toEqual([3, 4]);
    const rpc = await server
      .client(message.MessageService)
      .getHistory({ conversationId, beforeSeq: 0, limit: 2 }, bearer(bob.token));
    expect(back.body.value).toEqual(rpc);
  });

  it('refuses a malformed or foreign conversation with the RPC codes and keeps the socket', async () => {
    const bad = await ask(b, { case: 'history', value: { conversationId: 'not-an-id', limit: 10 } });
    expect(reasonOf(bad)).toBe('INVALID_ARGUMENT');
    const carol = await newUser(server);
    const c = await connectAuthed(server, carol.token);
    const foreign = await ask(c, { case: 'history', value: { conversationId, afterSeq: 0, limit: 10 } });
    expect(reasonOf(foreign)).toBe('NOT_FOUND');
    const empty = await ask(c, { case: 'sync', value: { sincePts: 0 } });
    expect(empty.body.case === 'sync' && empty.body.value.heads).toEqual([]);
    expect(await closedWithin(c, 50)).toBeUndefined();
    c.ws.close();
  });

  it('answers a text (JSON) socket in JSON', async () => {
    const t = await connectAuthed(server, bob.token, 'text');
    t.send(
      { requestId: 7, body: { case: 'history', value: { conversationId, afterSeq: 1, limit: 1 } } },
      'text',
    );
    const r = await t.next(answerTo(7));
    expect(r.text).toBe(true);
    expect(r.frame.body.case === 'history' && r.frame.body.value.messages.map((m) => m.seq)).toEqual([2]);
    t.ws.close();
  });

  it('closes an unauthenticated socket that asks for sync first, with no answer', async () => {
    const s = await connect(server);
    s.send({ requestId: 1, body: { case: 'sync', value: { sincePts: 0 } } });
    expect((await s.closed).code).toBe(4401);
    expect(s.all.some((r) => r.frame.body.case === 'sync')).toBe(false);
  });
});
