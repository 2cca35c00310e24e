import { create } from '@bufbuild/protobuf';
import { Code, ConnectError } from '@connectrpc/connect';
import { message as pb } from '@mychat/protocol';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { AppError, ErrorCode, errorInfoOf } from '../kernel/errors.js';
import { currentRequest, remainingMs } from '../kernel/request-context.js';
import { callHeaders, requireCaller } from './call-context.js';
import { RpcHub } from './rpc-hub.js';

const caller = { userId: '7', sessionId: 's1', clientType: 'web', deviceId: 'd1' };

function hub(serialiseLocalCalls = false) {
  const seen: { req?: pb.SendMessageRequest; requestId?: string; left?: number; userId?: string } = {};
  const h = new RpcHub({
    internalToken: 'token-for-test',
    peers: {},
    defaultTimeoutMs: 5_000,
    logger: pino({ level: 'silent' }),
    serialiseLocalCalls,
  });
  h.register(pb.MessageService, {
    sendMessage(req, ctx) {
      seen.req = req;
      seen.requestId = currentRequest()?.requestId;
      seen.left = remainingMs();
      seen.userId = requireCaller(ctx).userId;
      // An answer with fields left out: the caller still gets a full SendMessageResponse.
      return { message: { conversationId: req.conversationId, seq: 3 } };
    },
    async getPrivacy() {
      throw new AppError(ErrorCode.NOT_FRIENDS, 'you can message only your friends');
    },
    async sendTyping() {
      await new Promise(() => undefined); // never answers
      return {};
    },
  });
  return { client: h.client(pb.MessageService), seen };
}

const request = () =>
  create(pb.SendMessageRequestSchema, {
    conversationId: '42',
    clientMsgId: 'c-1',
    content: { body: { case: 'text', value: { text: 'hi' } } },
  });

describe('in-process calls (direct transport)', () => {
  it('hands the request object to the service without encoding it, with headers and context', async () => {
    const { client, seen } = hub();
    const req = request();
    const res = await client.sendMessage(req, {
      headers: callHeaders({ requestId: 'req-abc-123', caller }),
      timeoutMs: 2_000,
    });
    expect(seen.req).toBe(req); // the same object: no encode/decode round trip
    expect(seen.requestId).toBe('req-abc-123');
    expect(seen.userId).toBe('7');
    expect(seen.left).toBeGreaterThan(0);
    expect(seen.left).toBeLessThanOrEqual(2_000);
    expect(res.$typeName).toBe('mychat.message.v1.SendMessageResponse');
    expect(res.duplicate).toBe(false);
    expect(res.message?.seq).toBe(3);
    expect(res.message?.senderId).toBe('');
  });

  it('fills a plain request object in as a full message', async () => {
    const { client, seen } = hub();
    await client.sendMessage({ conversationId: '5' }, { headers: callHeaders({ caller }) });
    expect(seen.req?.$typeName).toBe('mychat.message.v1.SendMessageRequest');
    expect(seen.req?.clientMsgId).toBe('');
    expect(seen.req?.mentionUserIds).toEqual([]);
  });

  it('gives the caller the error the wire would carry, stable code included', async () => {
    const { client } = hub();
    const err = await client.getPrivacy({}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectError);
    expect(errorInfoOf(err)?.code).toBe(ErrorCode.NOT_FRIENDS);
    // A service without an implementation of a method answers UNIMPLEMENTED.
    await expect(client.getHistory({ conversationId: '1' })).rejects.toMatchObject({
      code: Code.Unimplemented,
    });
  });

  it('stops waiting at the deadline and on cancel', async () => {
    const { client } = hub();
    await expect(client.sendTyping({ conversationId: '1' }, { timeoutMs: 20 })).rejects.toMatchObject({
      code: Code.DeadlineExceeded,
    });
    const ac = new AbortController();
    const call = client.sendTyping({ conversationId: '1' }, { signal: ac.signal });
    ac.abort();
    await expect(call).rejects.toMatchObject({ code: Code.Canceled });
  });

  it('can still serialise local calls like the wire (serialiseLocalCalls)', async () => {
    const { client, seen } = hub(true);
    const req = request();
    const res = await client.sendMessage(req, { headers: callHeaders({ caller }) });
    expect(seen.req).not.toBe(req);
    expect(seen.req?.clientMsgId).toBe('c-1');
    expect(res.message?.seq).toBe(3);
  });
});

describe('in-process calls that fail with a bug', () => {
  it('log the cause with the request id; the caller gets only "internal error"', async () => {
    const lines: Record<string, unknown>[] = [];
    const logger = pino({ level: 'info' }, { write: (s: string) => void lines.push(JSON.parse(s)) });
    const h = new RpcHub({ internalToken: 't', peers: {}, defaultTimeoutMs: 5_000, logger });
    h.register(pb.MessageService, {
      async getPrivacy() {
        throw new TypeError('cannot read properties of undefined (reading "seq")');
      },
      async sendTyping() {
        throw new AppError(ErrorCode.NOT_FRIENDS, 'you can message only your friends');
      },
    });
    const client = h.client(pb.MessageService);
    const err = await client
      .getPrivacy({}, { headers: callHeaders({ requestId: 'req-bug-1', caller }) })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectError);
    expect((err as ConnectError).code).toBe(Code.Internal);
    expect((err as ConnectError).rawMessage).toBe('internal error');
    const logged = lines.filter((l) => l.msg === 'unexpected error in rpc handler');
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatchObject({ request_id: 'req-bug-1', rpc: 'GetPrivacy', level: 50 });
    expect(JSON.stringify(logged[0]!.err)).toContain('reading \\"seq\\"');
    // An expected error (AppError) is an answer, not a bug: nothing logged at error level.
    await client
      .sendTyping({}, { headers: callHeaders({ requestId: 'req-ok-2', caller }) })
      .catch(() => undefined);
    expect(lines.filter((l) => l.level === 50)).toHaveLength(1);
  });
});
