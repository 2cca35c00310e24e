import { create } from '@bufbuild/protobuf';
import type { Client } from '@connectrpc/connect';
import { gateway, message } from '@mychat/protocol';
import { describe, expect, it } from 'vitest';
import { socketFirstBackend, type Authed } from './chat-backend.js';
import { MyChatError } from './errors.js';
import { SocketClosedError, type FrameBody, type WsConnection } from './ws-connection.js';

const page = (seqs: number[], hasMore = false) =>
  create(message.GetHistoryResponseSchema, {
    messages: seqs.map((seq) => ({ conversationId: '9', seq, id: String(100 + seq), senderId: '1' })),
    hasMore,
  });
const synced = (lastSeq: number) =>
  create(message.SyncResponseSchema, { pts: 5, heads: [{ conversationId: '9', lastSeq }] });

/** A socket that answers each request with `answer` (or throws what it returns as an error). */
function fakeSocket(answer: (body: FrameBody) => gateway.ServerFrame['body'] | Error) {
  const asked: FrameBody[] = [];
  const conn = {
    request: async (body: FrameBody) => {
      asked.push(body);
      const a = answer(body);
      if (a instanceof Error) throw a;
      return create(gateway.ServerFrameSchema, { requestId: 1, body: a });
    },
  } as unknown as WsConnection;
  return { conn, asked };
}

/** MessageService over "HTTP": counts calls, answers from the given pages. */
function fakeRpc() {
  const calls: string[] = [];
  const rpc = {
    sync: async () => (calls.push('sync'), synced(7)),
    getHistory: async (req: { afterSeq?: number }) => (calls.push(`history ${req.afterSeq}`), page([1, 2])),
  } as unknown as Client<typeof message.MessageService>;
  const authed: Authed = (fn) => fn({ headers: { authorization: 'Bearer t' } });
  return { rpc, authed, calls };
}

describe('socketFirstBackend', () => {
  it('asks on the authenticated socket and maps the answers as the RPC path does', async () => {
    const { rpc, authed, calls } = fakeRpc();
    const { conn, asked } = fakeSocket((b) =>
      b.case === 'sync' ? { case: 'sync', value: synced(3) } : { case: 'history', value: page([2, 3], true) },
    );
    const backend = socketFirstBackend(rpc, authed, () => conn);
    expect(await backend.sync(4)).toEqual({
      pts: 5,
      conversations: [],
      heads: [{ conversationId: '9', lastSeq: 3 }],
    });
    const h = await backend.history({ conversationId: '9', afterSeq: 1, limit: 2 });
    expect(h.hasMore).toBe(true);
    expect(h.messages.map((m) => [m.seq, m.id])).toEqual([
      [2, '102'],
      [3, '103'],
    ]);
    expect(asked).toEqual([
      { case: 'sync', value: { sincePts: 4 } },
      { case: 'history', value: { conversationId: '9', afterSeq: 1, beforeSeq: 0, limit: 2 } },
    ]);
    expect(calls).toEqual([]);
  });

  it('uses the RPC when no socket is authenticated', async () => {
    const { rpc, authed, calls } = fakeRpc();
    const backend = socketFirstBackend(rpc, authed, () => undefined);
    expect((await backend.sync(0)).heads).toEqual([{ conversationId: '9', lastSeq: 7 }]);
    expect((await backend.history({ conversationId: '9', afterSeq: 0, limit: 2 })).messages).toHaveLength(2);
    expect(calls).toEqual(['sync', 'history 0']);
  });

  it('repeats a request over RPC when the socket drops under it', async () => {
    const { rpc, authed, calls } = fakeRpc();
    const { conn } = fakeSocket(() => new SocketClosedError(1006, ''));
    const backend = socketFirstBackend(rpc, authed, () => conn);
    expect((await backend.sync(0)).heads[0]!.lastSeq).toBe(7);
    expect(calls).toEqual(['sync']);
  });

  it('stops asking a server that does not know the frames (UNKNOWN_FRAME), for good', async () => {
    const { rpc, authed, calls } = fakeRpc();
    const { conn, asked } = fakeSocket(
      () => new MyChatError('frame type sync is not supported', 'UNKNOWN_FRAME'),
    );
    const backend = socketFirstBackend(rpc, authed, () => conn);
    await backend.sync(0);
    await backend.history({ conversationId: '9', afterSeq: 0, limit: 2 });
    expect(asked).toHaveLength(1);
    expect(calls).toEqual(['sync', 'history 0']);
  });

  it('passes the server refusing a request through, without asking again over RPC', async () => {
    const { rpc, authed, calls } = fakeRpc();
    const { conn } = fakeSocket(() => new MyChatError('no such conversation', 'NOT_FOUND'));
    const backend = socketFirstBackend(rpc, authed, () => conn);
    await expect(backend.history({ conversationId: '9', afterSeq: 0, limit: 2 })).rejects.toMatchObject({
      reason: 'NOT_FOUND',
    });
    expect(calls).toEqual([]);
  });

  it('treats an answer of the wrong kind as a protocol error', async () => {
    const { rpc, authed } = fakeRpc();
    const { conn } = fakeSocket(() => ({ case: 'ok', value: {} }));
    const backend = socketFirstBackend(rpc, authed, () => conn);
    await expect(backend.sync(0)).rejects.toMatchObject({ reason: 'PROTOCOL' });
  });
});
