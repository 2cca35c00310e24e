import { create } from '@bufbuild/protobuf';
import { Code, ConnectError } from '@connectrpc/connect';
import { message } from '@mychat/protocol';
import { describe, expect, it } from 'vitest';
import { ErrorCode, errorInfoOf } from '../kernel/errors.js';
import { errorFrameFrom } from '../gateway/ws/ws-codec.js';
import { sendBatcher, type SendCalls } from './send-batching.js';

describe('sendBatcher (the split topology: sends of one turn in one SendMessageBatch call)', () => {
  const origin = (userId: string, requestId = `req-${userId}`) => ({
    caller: { userId, sessionId: `s${userId}`, clientType: 'web', deviceId: 'd1' },
    clientIp: '203.0.113.7',
    requestId,
  });
  const req = (clientMsgId: string) =>
    create(message.SendMessageRequestSchema, { conversationId: '42', clientMsgId });
  const ack = (seq: number) =>
    create(message.BatchedSendResultSchema, {
      result: { case: 'ack', value: { message: { conversationId: '42', seq } } },
    });
  const refused = (reason: ErrorCode, text: string) =>
    create(message.BatchedSendResultSchema, {
      result: {
        case: 'error',
        value: { status: Code.NotFound, message: text, info: { code: reason, reason: ErrorCode[reason] } },
      },
    });

  /** Calls recorded; `answer` decides what each batch call returns. */
  function fakeCalls(answer: (sends: message.BatchedSend[]) => Promise<message.SendMessageBatchResponse>) {
    const batches: message.BatchedSend[][] = [];
    const singles: string[] = [];
    const calls: SendCalls = {
      batch: (sends) => {
        batches.push(sends);
        return answer(sends);
      },
      single: async (r, o) => {
        singles.push(`${o.caller.userId}:${r.clientMsgId}`);
        return create(message.SendMessageResponseSchema, { message: { seq: 99 } });
      },
    };
    return { calls, batches, singles };
  }

  it('puts the sends of one turn in one call with each socket identity, and answers each its own', async () => {
    const f = fakeCalls(async (sends) =>
      create(message.SendMessageBatchResponseSchema, {
        results: sends.map((s, i) =>
          s.userId === 'u2' ? refused(ErrorCode.NOT_FOUND, 'no such conversation') : ack(i + 1),
        ),
      }),
    );
    const send = sendBatcher(f.calls);
    const results = await Promise.allSettled([
      send(req('a'), origin('u1')),
      send(req('b'), origin('u2')),
      send(req('c'), origin('u3')),
    ]);
    expect(f.batches).toHaveLength(1);
    expect(f.batches[0]!.map((s) => [s.userId, s.sessionId, s.requestId, s.request?.clientMsgId])).toEqual([
      ['u1', 'su1', 'req-u1', 'a'],
      ['u2', 'su2', 'req-u2', 'b'],
      ['u3', 'su3', 'req-u3', 'c'],
    ]);
    expect(results[0]).toMatchObject({ status: 'fulfilled', value: { message: { seq: 1 } } });
    expect(results[2]).toMatchObject({ status: 'fulfilled', value: { message: { seq: 3 } } });
    // The error a unary SendMessage would have thrown: same status, message and stable code.
    const err = (results[1] as PromiseRejectedResult).reason as ConnectError;
    expect(err).toBeInstanceOf(ConnectError);
    expect([err.code, err.rawMessage, errorInfoOf(err)?.reason]).toEqual([
      Code.NotFound,
      'no such conversation',
      'NOT_FOUND',
    ]);
    expect(errorFrameFrom(7, err).frame.body).toMatchObject({
      case: 'error',
      value: { code: ErrorCode.NOT_FOUND },
    });
  });

  it('splits a turn of more than 256 sends into several calls, and a missing answer is an internal error', async () => {
    const f = fakeCalls(async (sends) =>
      create(message.SendMessageBatchResponseSchema, { results: sends.slice(1).map(() => ack(1)) }),
    );
    const send = sendBatcher(f.calls);
    const all = await Promise.allSettled(
      Array.from({ length: 300 }, (_, i) => send(req(`m${i}`), origin(`u${i}`))),
    );
    expect(f.batches.map((b) => b.length)).toEqual([256, 44]);
    // Each call's answers are one short: its last send has none.
    const failed = all.flatMap((r, i) => (r.status === 'rejected' ? [i] : []));
    expect(failed).toEqual([255, 299]);
    expect((all[255] as PromiseRejectedResult).reason).toMatchObject({ code: Code.Internal });
  });

  it('a call that fails as a whole fails each send in it with that error', async () => {
    const busy = new ConnectError('the message service is busy; try again shortly', Code.Unavailable);
    const f = fakeCalls(() => Promise.reject(busy));
    const send = sendBatcher(f.calls);
    const all = await Promise.allSettled([send(req('a'), origin('u1')), send(req('b'), origin('u2'))]);
    expect(all.map((r) => (r as PromiseRejectedResult).reason)).toEqual([busy, busy]);
    expect(f.singles).toEqual([]);
  });

  it('falls back to one call per send for a minute when the message service has no SendMessageBatch (a rolling upgrade)', async () => {
    let t = 0;
    const f = fakeCalls(() => Promise.reject(new ConnectError('not implemented', Code.Unimplemented)));
    const send = sendBatcher(f.calls, () => t);
    await expect(
      Promise.all([send(req('a'), origin('u1')), send(req('b'), origin('u2'))]),
    ).resolves.toMatchObject([{ message: { seq: 99 } }, { message: { seq: 99 } }]);
    expect(f.batches).toHaveLength(1);
    expect(f.singles).toEqual(['u1:a', 'u2:b']);
    t = 59_000;
    await send(req('c'), origin('u1'));
    expect(f.batches).toHaveLength(1);
    expect(f.singles).toEqual(['u1:a', 'u2:b', 'u1:c']);
    t = 61_000; // then it tries batching again
    await expect(send(req('d'), origin('u1'))).resolves.toBeDefined();
    expect(f.batches).toHaveLength(2);
  });
});

describe('sendBatcher back-pressure', () => {
  it('refuses sends beyond maxInFlight at once with UNAVAILABLE, and takes them again once answers come', async () => {
    let answer!: () => void;
    let shed = 0;
    const calls: SendCalls = {
      batch: (sends) =>
        new Promise((resolve) => {
          answer = () =>
            resolve(
              create(message.SendMessageBatchResponseSchema, {
                results: sends.map(() => ({ result: { case: 'ack', value: {} } })),
              }),
            );
        }),
      single: () => Promise.reject(new Error('not used')),
      maxInFlight: 2,
      onShed: () => shed++,
    };
    const send = sendBatcher(calls);
    const o = {
      caller: { userId: '1', sessionId: 's', clientType: 'web', deviceId: 'd' },
      clientIp: '',
      requestId: 'r',
    };
    const r = (id: string) =>
      create(message.SendMessageRequestSchema, { conversationId: '42', clientMsgId: id });
    const first = [send(r('a'), o), send(r('b'), o)];
    const refused = await send(r('c'), o).catch((e: unknown) => e);
    expect(refused).toMatchObject({ code: ErrorCode.UNAVAILABLE, details: { retryAfterSeconds: 1 } });
    expect(shed).toBe(1);
    await new Promise((res) => setImmediate(res));
    answer();
    await Promise.all(first);
    await new Promise((res) => setImmediate(res));
    const again = send(r('d'), o);
    await new Promise((res) => setImmediate(res));
    answer();
    await expect(again).resolves.toBeDefined();
  });
});
