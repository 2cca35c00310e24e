import { create, equals, fromJsonString, type MessageInitShape } from '@bufbuild/protobuf';
import { message as pb } from '@mychat/protocol';
import { describe, expect, it } from 'vitest';
import { decodeContent, encodeContent } from './message.views.js';

const content = (body: MessageInitShape<typeof pb.MessageContentSchema>['body']) =>
  create(pb.MessageContentSchema, { body });
const text = (t: string) => content({ case: 'text', value: { text: t } });

/** Encrypted content with bytes of every length mod 3 (each base64 padding) and `wraps` keys. */
const sealed = (wraps = 2) => ({
  version: 1,
  ciphertext: Uint8Array.from({ length: 101 }, (_, i) => (i * 37) & 255),
  nonce: Uint8Array.from({ length: 12 }, (_, i) => 255 - i),
  senderDeviceId: 'a'.repeat(32),
  ephemeralKey: Uint8Array.from({ length: 32 }, (_, i) => i * 8),
  keys: Array.from({ length: wraps }, (_, i) => ({
    userId: `${1000 + i}`,
    deviceId: i ? 'backup' : 'b'.repeat(32),
    wrapped: Uint8Array.from({ length: 47 + i }, (_, j) => (j * 13 + i) & 255),
  })),
});

describe('stored message content', () => {
  it.each([
    ['plain', text('hello')],
    ['quotes, backslashes and escapes', text('say "hi" \\ back\\slash \n new line \t tab \u0000 nul')],
    ['unicode and emoji', text('你好 👋🏽 é ß \u2028 \u{1F600}')],
    ['JSON-looking text', text('{"text":{"text":"x"}}')],
    ['a long text', text('x'.repeat(8192))],
    ['empty text', text('')],
    ['an image', content({ case: 'image', value: { images: [{ mediaId: 'm1', width: 3, height: 4 }] } })],
    ['a file', content({ case: 'file', value: { file: { mediaId: 'f1', size: '10' }, name: 'a.txt' } })],
    ['a recall', content({ case: 'recall', value: { seq: 7 } })],
    ['no body', content({ case: undefined })],
    ['an encrypted message', content({ case: 'encrypted', value: sealed() })],
    ['an encrypted message, no wrapped key', content({ case: 'encrypted', value: sealed(0) })],
    [
      'an encrypted message with files',
      content({ case: 'encrypted', value: { ...sealed(), files: [{ mediaId: 'f1', size: '3' }] } }),
    ],
  ])('%s reads back exactly as protobuf JSON reads it', (_, c) => {
    const stored = encodeContent(c);
    const fast = decodeContent(stored);
    expect(equals(pb.MessageContentSchema, fast, fromJsonString(pb.MessageContentSchema, stored))).toBe(true);
    expect(equals(pb.MessageContentSchema, fast, c)).toBe(true);
  });

  it('refuses what protobuf JSON refuses (broken or unknown stored content)', () => {
    for (const bad of ['{"text":{"text":"cut off}}', '{"text":{"text":1}}', '{"nope":{}}', 'not json'])
      expect(() => decodeContent(bad), bad).toThrow();
    // Encrypted content the fast reader does not take goes to protobuf JSON, which refuses it.
    for (const bad of [
      '{"encrypted":{"ciphertext":"not base64!"}}',
      '{"encrypted":{"ciphertext":"ab=c"}}',
      '{"encrypted":{"version":-1}}',
      '{"encrypted":{"keys":[{"wrapped":1}]}}',
      '{"encrypted":{"nope":1}}',
      '{"encrypted":{"version":1}',
    ])
      expect(() => decodeContent(bad), bad).toThrow();
  });

  it('reads encrypted content the fast reader leaves alone as protobuf JSON does', () => {
    // URL-safe base64, a missing padding, a number as a string: as protobuf JSON reads them.
    for (const odd of [
      '{"encrypted":{"nonce":"-_8"}}',
      '{"encrypted":{"nonce":"-_8A"}}',
      '{"encrypted":{"version":"1","keys":[{}]}}',
    ]) {
      const want = fromJsonString(pb.MessageContentSchema, odd);
      expect(equals(pb.MessageContentSchema, decodeContent(odd), want), odd).toBe(true);
    }
  });
});
