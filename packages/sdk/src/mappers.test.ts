import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { message } from '@mychat/protocol';
import { describe, expect, it } from 'vitest';
import { toMessage } from './mappers.js';

describe('toMessage: link previews', () => {
  const withPreview = (image: Uint8Array) =>
    create(message.MessageSchema, {
      conversationId: 'c',
      seq: 1,
      type: message.MessageType.TEXT,
      content: { body: { case: 'text', value: { text: 'https://example.com' } } },
      linkPreview: {
        url: 'https://example.com/',
        title: 'T',
        description: '',
        siteName: 'example.com',
        image,
      },
    });

  it("carries the server's thumbnail as bytes, and no image field when there is none", () => {
    const bytes = new Uint8Array([82, 73, 70, 70]);
    expect(toMessage(withPreview(bytes)).linkPreview).toEqual({
      url: 'https://example.com/',
      title: 'T',
      description: '',
      siteName: 'example.com',
      image: bytes,
    });
    expect(toMessage(withPreview(new Uint8Array())).linkPreview).not.toHaveProperty('image');
  });
});

describe('toMessage: encrypted messages', () => {
  it('gives each byte field its own buffer, not a view of the whole decoded page', () => {
    const bytes = (n: number, v: number) => new Uint8Array(n).fill(v);
    const page = create(message.GetHistoryResponseSchema, {
      messages: [1, 2].map((seq) => ({
        conversationId: 'c',
        seq,
        type: message.MessageType.ENCRYPTED,
        content: {
          body: {
            case: 'encrypted' as const,
            value: {
              version: 1,
              ciphertext: bytes(40, seq),
              nonce: bytes(12, 7),
              senderDeviceId: 'a'.repeat(32),
              ephemeralKey: bytes(32, 9),
              keys: [{ userId: '1', deviceId: 'b'.repeat(32), wrapped: bytes(48, 3) }],
            },
          },
        },
      })),
    });
    const wire = toBinary(message.GetHistoryResponseSchema, page);
    const decoded = fromBinary(message.GetHistoryResponseSchema, wire);
    for (const [i, m] of decoded.messages.map(toMessage).entries()) {
      if (m.content.type !== 'encrypted') throw new Error('not encrypted');
      const s = m.content.sealed;
      for (const [field, want] of [
        [s.ciphertext, bytes(40, i + 1)],
        [s.nonce, bytes(12, 7)],
        [s.ephemeralKey, bytes(32, 9)],
        [s.keys[0]!.wrapped, bytes(48, 3)],
      ] as const) {
        expect(field).toEqual(want);
        expect(field.buffer.byteLength).toBe(want.length);
      }
    }
  });
});
