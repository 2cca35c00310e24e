import { create } from '@bufbuild/protobuf';
import { contacts, message as pb } from '@mychat/protocol';
import { describe, expect, it } from 'vitest';
import { nulField } from './text-nul.js';

describe('nulField', () => {
  it('finds a NUL in a nested oneof string and names its JSON path', () => {
    const req = create(pb.SendMessageRequestSchema, {
      conversationId: '1',
      clientMsgId: 'a',
      content: { body: { case: 'text', value: { text: 'hi\0there' } } },
    });
    expect(nulField(pb.SendMessageRequestSchema, req)).toBe('content.text.text');
  });

  it('finds a NUL in a repeated string', () => {
    const req = create(pb.SendMessageRequestSchema, { mentionUserIds: ['1', '2\0'] });
    expect(nulField(pb.SendMessageRequestSchema, req)).toBe('mentionUserIds');
  });

  it('passes text without NUL, including other control characters and emoji', () => {
    const req = create(contacts.CreateGroupRequestSchema, { name: 'tab\there \u0001 😀' });
    expect(nulField(contacts.CreateGroupRequestSchema, req)).toBeUndefined();
  });
});
