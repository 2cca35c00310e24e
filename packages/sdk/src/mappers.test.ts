import { create } from '@bufbuild/protobuf';
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
