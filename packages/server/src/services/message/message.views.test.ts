import { create, equals, fromJsonString, type MessageInitShape } from '@bufbuild/protobuf';
import { message as pb } from '@mychat/protocol';
import { describe, expect, it } from 'vitest';
import { decodeContent, encodeContent } from './message.views.js';

const content = (body: MessageInitShape<typeof pb.MessageContentSchema>['body']) =>
  create(pb.MessageContentSchema, { body });
const text = (t: string) => content({ case: 'text', value: { text: t } });

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
  ])('%s reads back exactly as protobuf JSON reads it', (_, c) => {
    const stored = encodeContent(c);
    const fast = decodeContent(stored);
    expect(equals(pb.MessageContentSchema, fast, fromJsonString(pb.MessageContentSchema, stored))).toBe(true);
    expect(equals(pb.MessageContentSchema, fast, c)).toBe(true);
  });

  it('refuses what protobuf JSON refuses (broken or unknown stored content)', () => {
    for (const bad of ['{"text":{"text":"cut off}}', '{"text":{"text":1}}', '{"nope":{}}', 'not json'])
      expect(() => decodeContent(bad), bad).toThrow();
  });
});
