import { create, toBinary } from '@bufbuild/protobuf';
import { Code, ConnectError } from '@connectrpc/connect';
import { gateway } from '@mychat/protocol';
import { describe, expect, it } from 'vitest';
import { errors, ErrorCode, toConnectError } from '../../kernel/errors.js';
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
