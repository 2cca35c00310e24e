import type { ChatMessage } from '@mychat/sdk';
import { createPinia, setActivePinia } from 'pinia';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { FakeClient, installBrowserGlobals, settle } from '../../sdk/fake-client.test-helpers.js';

installBrowserGlobals();
const { provideClient } = await import('../../sdk/current-client.js');
const { useSearchStore, DEBOUNCE_MS } = await import('./search.store.js');
const { useChatStore } = await import('../chat/chat.store.js');

const hit = (conversationId: string, seq: number, snippet: string) => ({
  conversationId,
  seq,
  messageId: String(seq),
  senderId: 'u',
  type: 'text' as const,
  createdAt: seq,
  snippet,
  highlights: [],
});

let fake: FakeClient;
beforeEach(() => {
  fake = new FakeClient();
  fake.provide('messages', { conversations: async () => [], pending: async () => [] });
  fake.provide('contacts', { users: async () => [] });
  provideClient(fake.asClient());
  setActivePinia(createPinia());
});
afterEach(() => vi.useRealTimers());

describe('search store', () => {
  it('searches once typing pauses, with the last text only', async () => {
    vi.useFakeTimers();
    fake.provide('search', {
      contacts: async () => ({ friends: [], groups: [] }),
      messages: async (q: string) => ({
        hits: [hit('c1', 3, q)],
        conversations: [{ conversationId: 'c1', count: 1, lastSeq: 3, lastAt: 3 }],
      }),
      files: async () => ({ chatFiles: [], driveFiles: [] }),
      moments: async (q: string) => ({
        hits: [{ momentId: 'p1', authorId: 'u', createdAt: 1, snippet: q, highlights: [] }],
      }),
      square: async (q: string) => ({
        hits: [
          {
            postId: 's1',
            threadId: 't1',
            boardId: 'b1',
            threadTitle: 'Park',
            floor: 0,
            authorId: 'u',
            createdAt: 1,
            snippet: q,
            highlights: [],
          },
        ],
      }),
    });
    const s = useSearchStore();
    s.setQuery('公');
    s.setQuery('公园');
    expect(s.loading).toBe(true);
    await vi.advanceTimersByTimeAsync(DEBOUNCE_MS + 10);
    expect(fake.calls.filter((c) => c.startsWith('search.messages'))).toEqual([
      'search.messages("公园",{"limit":50})',
    ]);
    expect(s.loading).toBe(false);
    expect(s.results?.firstHit.c1?.snippet).toBe('公园');
    expect(s.results?.moments.map((m) => m.momentId)).toEqual(['p1']);
    expect(fake.calls.filter((c) => c.startsWith('search.moments'))).toEqual([
      'search.moments("公园",{"limit":10})',
    ]);
    expect(s.results?.square.map((p) => p.threadId)).toEqual(['t1']);
    expect(fake.calls.filter((c) => c.startsWith('search.square'))).toEqual([
      'search.square("公园",{"limit":10})',
    ]);
    s.setQuery('  ');
    expect(s.results).toBeNull();
  });

  it('never lets an older, slower answer replace a newer one', async () => {
    let release: (() => void) | undefined;
    fake.provide('search', {
      contacts: async () => ({ friends: [], groups: [] }),
      messages: async (q: string) => {
        if (q === 'slow') await new Promise<void>((r) => (release = r));
        return { hits: [hit('c', 1, q)], conversations: [] };
      },
      files: async () => ({ chatFiles: [], driveFiles: [] }),
      moments: async () => ({ hits: [] }),
      square: async () => ({ hits: [] }),
    });
    const s = useSearchStore();
    s.setQuery('slow');
    await new Promise((r) => setTimeout(r, DEBOUNCE_MS + 20));
    s.setQuery('fast');
    await new Promise((r) => setTimeout(r, DEBOUNCE_MS + 20));
    expect(s.results?.query).toBe('fast');
    release?.();
    await settle();
    expect(s.results?.query).toBe('fast');
  });

  it('shows the failure of one part and keeps the others', async () => {
    fake.provide('search', {
      contacts: async () => {
        throw new Error('down');
      },
      messages: async () => ({ hits: [hit('c', 1, 'x')], conversations: [] }),
      files: async () => ({ chatFiles: [], driveFiles: [] }),
      moments: async () => {
        throw new Error('down');
      },
      square: async () => {
        throw new Error('down');
      },
    });
    const s = useSearchStore();
    s.setQuery('x');
    await new Promise((r) => setTimeout(r, DEBOUNCE_MS + 20));
    expect(s.error).not.toBe('');
    expect(s.results?.firstHit.c?.seq).toBe(1);
    expect(s.results?.moments).toEqual([]);
    expect(s.results?.square).toEqual([]);
  });
});

const msg = (seq: number): ChatMessage => ({
  conversationId: 'c',
  seq,
  id: String(seq),
  senderId: 'u',
  clientMsgId: `m${seq}`,
  content: { type: 'text', text: `m${seq}` },
  replyToSeq: 0,
  mentionUserIds: [],
  mentionAll: false,
  createdAt: seq,
  recalled: false,
});

describe('chat store: a window around an older message (opening a hit)', () => {
  it('loads around the hit, keeps new messages out until it reaches the newest, then goes back', async () => {
    const last = 200;
    fake.provide('messages', {
      conversations: async () => [],
      pending: async () => [],
      conversation: async () => ({ id: 'c', lastSeq: last }),
      history: async (_c: string, o: { beforeSeq?: number; limit: number }) => {
        const top = Math.min((o.beforeSeq ?? last + 1) - 1, last);
        const from = Math.max(1, top - o.limit + 1);
        const messages = [];
        for (let s = from; s <= top; s++) messages.push(msg(s));
        return { messages, hasMore: from > 1 };
      },
    });
    const chat = useChatStore();
    chat.conversations.c = { id: 'c', lastSeq: last } as never;
    await chat.openAt('c', 20);
    const t = chat.threads.c!;
    expect([t.items[0]!.seq, t.items.at(-1)!.seq]).toEqual([1, 45]);
    expect(t.hasNewer).toBe(true);
    expect(chat.focus).toEqual({ conversationId: 'c', seq: 20 });

    fake.emit('message', msg(last + 1), { source: 'push' } as never);
    expect(t.items.at(-1)!.seq).toBe(45);

    expect(await chat.loadNewer('c')).toBe(true);
    expect(t.items.at(-1)!.seq).toBe(95);
    expect(t.items.map((m) => m.seq)).toEqual(Array.from({ length: 95 }, (_, i) => i + 1));

    await chat.latest('c');
    const now = chat.threads.c!;
    expect(now.hasNewer).toBe(false);
    expect(now.items.at(-1)!.seq).toBe(last);

    // A hit already loaded is only focused.
    const before = fake.calls.length;
    await chat.openAt('c', last - 2);
    expect(fake.calls.length).toBe(before);
  });
});
