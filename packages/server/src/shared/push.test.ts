import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import { gateway, message as pb } from '@mychat/protocol';
import { describe, expect, it } from 'vitest';
import { encodeServerFrameBinary } from './push.js';

const msg = () =>
  create(pb.MessageSchema, {
    conversationId: '42',
    seq: 7,
    id: '1234567890123456789',
    senderId: '9',
    clientMsgId: 'c-1',
    type: pb.MessageType.TEXT,
    content: { body: { case: 'text', value: { text: '你好, hello' } } },
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
