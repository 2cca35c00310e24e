import { create } from '@bufbuild/protobuf';
import { message as pb } from '@mychat/protocol';
import { describe, expect, it } from 'vitest';
import { changeOf } from './search.indexer.js';

describe('the search indexer and encrypted chats', () => {
  it('never indexes an encrypted message: the server has no words of it', () => {
    const m = create(pb.MessageSchema, {
      conversationId: '1',
      seq: 1,
      id: '5',
      senderId: '2',
      type: pb.MessageType.ENCRYPTED,
      content: {
        body: {
          case: 'encrypted',
          value: {
            version: 1,
            ciphertext: new TextEncoder().encode('looks like words'),
            nonce: new Uint8Array(12),
          },
        },
      },
    });
    expect(changeOf(m)).toEqual({});
  });
});
