import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import { gateway, message as pb } from '@mychat/protocol';
import { describe, expect, it } from 'vitest';
import {
  decodePushEnvelope,
  decodeSendMessageResponse,
  encodePushEnvelope,
  encodeSendMessageResponse,
  encodeServerFrameBinary,
  knownEncoding,
} from './push-envelope.js';

const msg = (text = '你好, hello') =>
  create(pb.MessageSchema, {
    conversationId: '42',
    seq: 7,
    id: '1234567890123456789',
    senderId: '9',
    clientMsgId: 'c-1',
    type: pb.MessageType.TEXT,
    content: { body: { case: 'text', value: { text } } },
    mentionUserIds: ['3'],
    createdAt: timestampFromMs(1_700_000_000_123),
  });

describe('ServerFrame encoding with the message encoded once', () => {
  it('gives the same bytes as toBinary for pushes, acks and other frames', () => {
    const m = msg();
    const frames = [
      create(gateway.ServerFrameSchema, { body: { case: 'message', value: m } }),
      create(gateway.ServerFrameSchema, { requestId: 5, body: { case: 'sendAck', value: { message: m } } }),
      create(gateway.ServerFrameSchema, {
        requestId: 300,
        body: { case: 'sendAck', value: { message: m, duplicate: true } },
      }),
      create(gateway.ServerFrameSchema, { requestId: 6, body: { case: 'sendAck', value: {} } }),
      create(gateway.ServerFrameSchema, { requestId: 7, body: { case: 'ok', value: {} } }),
    ];
    for (const f of frames) {
      const bytes = encodeServerFrameBinary(f);
      expect(bytes).toEqual(toBinary(gateway.ServerFrameSchema, f));
      expect(fromBinary(gateway.ServerFrameSchema, bytes)).toEqual(f);
    }
  });

  it('encodes a Message once for its push and its ack', () => {
    const m = msg();
    encodeServerFrameBinary(create(gateway.ServerFrameSchema, { body: { case: 'message', value: m } }));
    // Changed after its first encoding: a second encoding would carry the change; the ack
    // reuses the first (the message service never changes a Message once it is sent).
    m.seq = 8;
    const ack = encodeServerFrameBinary(
      create(gateway.ServerFrameSchema, { requestId: 1, body: { case: 'sendAck', value: { message: m } } }),
    );
    const decoded = fromBinary(gateway.ServerFrameSchema, ack);
    expect(decoded.body.case === 'sendAck' && decoded.body.value.message?.seq).toBe(7);
  });

  it('keeps the encoding out of sight: the message still equals a fresh one, same keys, same JSON', () => {
    const m = msg();
    encodeServerFrameBinary(create(gateway.ServerFrameSchema, { body: { case: 'message', value: m } }));
    expect(m).toEqual(msg());
    expect(Object.keys(m)).toEqual(Object.keys(msg()));
    expect(JSON.stringify(m, (_, v: unknown) => (typeof v === 'bigint' ? String(v) : v))).toBe(
      JSON.stringify(msg(), (_, v: unknown) => (typeof v === 'bigint' ? String(v) : v)),
    );
  });
});

describe('PushEnvelope encoding', () => {
  const envelope = (frame: gateway.ServerFrame, exceptSessionId: string) =>
    toBinary(
      gateway.PushEnvelopeSchema,
      create(gateway.PushEnvelopeSchema, {
        frame: toBinary(gateway.ServerFrameSchema, frame),
        exceptSessionId,
      }),
    );
  const frames = () => [
    create(gateway.ServerFrameSchema, { body: { case: 'message', value: msg() } }),
    create(gateway.ServerFrameSchema, {
      requestId: 4_294_967_295,
      body: { case: 'sendAck', value: { message: msg(), duplicate: true } },
    }),
    create(gateway.ServerFrameSchema, { body: { case: 'message', value: msg('x'.repeat(20_000)) } }),
    create(gateway.ServerFrameSchema, {
      body: { case: 'typing', value: { conversationId: '42', userId: '9' } },
    }),
  ];

  it('gives the same bytes as toBinary, with and without a session to skip, and reads them back', () => {
    for (const except of ['', 's-1', '会话-é']) {
      for (const f of frames()) {
        const bytes = encodePushEnvelope(f, except);
        expect(bytes).toEqual(envelope(f, except));
        const back = decodePushEnvelope(bytes);
        expect(back.exceptSessionId).toBe(except);
        expect(fromBinary(gateway.ServerFrameSchema, back.frame)).toEqual(f);
      }
    }
  });

  it('reads envelopes written another way (fields reordered, unknown fields) through the generated decoder', () => {
    const frame = toBinary(gateway.ServerFrameSchema, frames()[0]!);
    const reordered = new Uint8Array([0x12, 0x01, 0x73, 0x0a, frame.length, ...frame]);
    expect(decodePushEnvelope(reordered)).toMatchObject({ exceptSessionId: 's' });
    expect(decodePushEnvelope(reordered).frame).toEqual(frame);
    const unknown = new Uint8Array([0x0a, frame.length, ...frame, 0x18, 0x05]);
    expect(decodePushEnvelope(unknown)).toMatchObject({ exceptSessionId: '' });
    expect(decodePushEnvelope(unknown).frame).toEqual(frame);
  });

  it('refuses a truncated envelope instead of reading past its end', () => {
    const bytes = encodePushEnvelope(frames()[0]!, 's-1');
    expect(() => decodePushEnvelope(bytes.subarray(0, bytes.length - 2))).toThrow();
    expect(() => decodePushEnvelope(new Uint8Array([0x0a, 0xff, 0xff, 0xff, 0xff, 0xff]))).toThrow();
  });
});

describe('a send answer across a socket worker link', () => {
  it('encodes as toBinary does, reusing the message bytes, and reads back with them remembered', () => {
    for (const duplicate of [false, true]) {
      const res = create(pb.SendMessageResponseSchema, { message: msg(), duplicate });
      const bytes = encodeSendMessageResponse(res);
      expect(bytes).toEqual(toBinary(pb.SendMessageResponseSchema, res));
      const back = decodeSendMessageResponse(bytes);
      expect(back).toEqual(res);
      expect(knownEncoding(back.message!)).toEqual(toBinary(pb.MessageSchema, res.message!));
      // The ack frame made from it is the same as one encoded from scratch.
      const frame = create(gateway.ServerFrameSchema, {
        requestId: 9,
        body: { case: 'sendAck', value: back },
      });
      expect(encodeServerFrameBinary(frame)).toEqual(toBinary(gateway.ServerFrameSchema, frame));
    }
  });

  it('falls back to the generated codec for anything else, remembering nothing', () => {
    const empty = create(pb.SendMessageResponseSchema, {});
    expect(encodeSendMessageResponse(empty)).toEqual(toBinary(pb.SendMessageResponseSchema, empty));
    // duplicate first, then the message: valid protobuf, not the layout the encoder writes.
    const m = toBinary(pb.MessageSchema, msg());
    const odd = Uint8Array.from([0x10, 0x01, 0x0a, m.length, ...m]);
    const back = decodeSendMessageResponse(odd);
    expect(back.duplicate).toBe(true);
    expect(back.message?.seq).toBe(7);
    expect(knownEncoding(back.message!)).toBeUndefined();
  });
});
