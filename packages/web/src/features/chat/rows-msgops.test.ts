import type { ChatMessage, MessageContent } from '@mychat/sdk';
import { describe, expect, it, vi } from 'vitest';

// rows.ts formats days with the i18n module, which reads the browser's locale when it loads.
vi.hoisted(() => {
  vi.stubGlobal('localStorage', { getItem: () => 'en', setItem: () => undefined });
  vi.stubGlobal('navigator', { languages: ['en'], language: 'en' });
  vi.stubGlobal('document', { documentElement: { lang: '' }, createElement: () => ({}) });
});

const { buildRows } = await import('./rows.js');

const at = new Date(2026, 11, 6, 10, 0).getTime();
const msg = (seq: number, content: MessageContent): ChatMessage => ({
  conversationId: 'c',
  seq,
  id: `${seq}`,
  senderId: 'a',
  clientMsgId: `m${seq}`,
  content,
  replyToSeq: 0,
  mentionUserIds: [],
  mentionAll: false,
  createdAt: at + seq,
  recalled: false,
});

describe('message rows with reactions, edits and pins', () => {
  it('shows reactions, edits and link previews on their message only, and a pin as a notice', () => {
    const rows = buildRows(
      [
        msg(1, { type: 'text', text: 'hi' }),
        msg(2, { type: 'reaction', seq: 1, emoji: '👍', remove: false, counts: [] }),
        msg(3, { type: 'edit', seq: 1, text: 'hello' }),
        msg(4, { type: 'pin', seq: 1, unpin: false }),
        msg(5, {
          type: 'linkPreview',
          seq: 1,
          preview: { url: 'u', title: 't', description: '', siteName: 's' },
        }),
      ],
      [],
      'b',
      () => 'sent',
    );
    expect(rows.map((r) => r.kind)).toEqual(['top', 'day', 'msg', 'notice']);
    expect(rows[3]!.kind === 'notice' && rows[3]!.m.seq).toBe(4);
  });
});
