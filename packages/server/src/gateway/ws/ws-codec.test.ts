import { create, toBinary } from '@bufbuild/protobuf';
import { Code, ConnectError } from '@connectrpc/connect';
import { gateway, message } from '@mychat/protocol';
import { describe, expect, it } from 'vitest';
import { errors, ErrorCode, toConnectError } from '../../kernel/errors.js';
import { knownEncoding } from '../../contracts/push-envelope.js';
import { decodeClientFrame, errorFrameFrom, peekFrameType } from './ws-codec.js';
import { normalizeOrigin } from './ws-upgrade.js';

const errOf = (f: gateway.ServerFrame) => (f.body.case === 'error' ? f.body.value : undefined);

describe('ws codec', () => {
  it('peeks the body type of an encoded ServerFrame, with or without a request id', () => {
    const enc = (init: Parameters<typeof create<typeof gateway.ServerFrameSchema>>[1]) =>
      toBinary(gateway.ServerFrameSchema, create(gateway.ServerFrameSchema, init));
    expect(peekFrameType(enc({ body: { case: 'typing', value: { conversationId: 'c' } } }))).toBe('typing');
    expect(peekFrameType(enc({ requestId: 300, body: { case: 'ok', value: {} } }))).toBe('ok');
    expect(peekFrameType(enc({ body: { case: 'presence', value: { userId: 'u', online: true } } }))).toBe(
      'presence',
    );
    expect(peekFrameType(new Uint8Array([0xff]))).toBe('unknown');
  });

  it("remembers a binary send's bytes as they came, for a socket worker to forward", () => {
    const init = {
      requestId: 3,
      body: {
        case: 'send' as const,
        value: {
          conversationId: 'c',
          clientMsgId: 'm',
          content: { body: { case: 'text' as const, value: { text: 'hi' } } },
        },
      },
    };
    const bytes = Buffer.from(toBinary(gateway.ClientFrameSchema, create(gateway.ClientFrameSchema, init)));
    const r = decodeClientFrame(bytes, true);
    const req = r.ok && r.frame.body.case === 'send' ? r.frame.body.value : undefined;
    expect([...knownEncoding(req!)!]).toEqual([...toBinary(message.SendMessageRequestSchema, req!)]);
    // The same field twice (merged on decode): nothing remembered. Text frames: nothing either.
    const send = bytes.subarray(2);
    const twice = decodeClientFrame(Buffer.concat([bytes, send]), true);
    expect(
      twice.ok && twice.frame.body.case === 'send' && knownEncoding(twice.frame.body.value),
    ).toBeUndefined();
    const text = decodeClientFrame(
      Buffer.from(JSON.stringify({ requestId: 1, send: { conversationId: 'c' } })),
      false,
    );
    expect(
      text.ok && text.frame.body.case === 'send' && knownEncoding(text.frame.body.value),
    ).toBeUndefined();
  });

  it('decodes unknown fields to an empty body instead of failing', () => {
    const r = decodeClientFrame(Buffer.from([0x08, 0x01, 0x98, 0x06, 0x01]), true);
    expect(r.ok && r.frame.body.case).toBeUndefined();
    expect(decodeClientFrame(Buffer.from('{"requestId":1,"x":{}}'), false).ok).toBe(true);
    expect(decodeClientFrame(Buffer.from('nope'), false).ok).toBe(false);
  });

  it('passes stable codes through, with message and retry-after', () => {
    const { frame, internal } = errorFrameFrom(4, toConnectError(errors.rateLimited(7)));
    expect(internal).toBe(false);
    expect(frame.requestId).toBe(4);
    expect(errOf(frame)).toMatchObject({
      code: ErrorCode.RATE_LIMITED,
      reason: 'RATE_LIMITED',
      retryAfterSeconds: 7,
    });
  });

  it('hides the message of errors without a stable code', () => {
    const down = errorFrameFrom(1, new ConnectError('connect ECONNREFUSED 10.0.0.7:9090', Code.Unavailable));
    expect(errOf(down.frame)).toMatchObject({
      reason: 'UNAVAILABLE',
      message: 'service temporarily unavailable',
    });
    const boom = errorFrameFrom(1, new Error('db password is hunter2'));
    expect(boom.internal).toBe(true);
    expect(errOf(boom.frame)).toMatchObject({ reason: 'INTERNAL', message: 'internal error' });
  });

  it('normalises origins as browsers send them', () => {
    expect(normalizeOrigin(' HTTPS://Chat.Example.com/ ')).toBe('https://chat.example.com');
  });
});
