import type { Conversation, MyChatClient } from '@mychat/sdk';
import { nextTick, reactive } from 'vue';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { startDraftSync } from './drafts-sync.js';

const conv = (id: string, draft?: { text: string; updatedAt: number }) =>
  ({ id, ...(draft && { draft }) }) as unknown as Conversation;

/** The two things drafts-sync uses of the client: `conversation` events and records.setDraft. */
function fakeClient() {
  const handlers: ((c: Conversation) => void)[] = [];
  const saved: [string, string, number | undefined][] = [];
  const client = {
    on: (_e: string, fn: (c: Conversation) => void) => handlers.push(fn),
    records: {
      setDraft: async (id: string, text: string, at?: number) => void saved.push([id, text, at]),
    },
  } as unknown as MyChatClient;
  return { client, saved, push: (c: Conversation) => handlers.forEach((h) => h(c)) };
}

describe('drafts on the server (drafts-sync.ts)', () => {
  beforeEach(() => vi.useFakeTimers({ now: 1_000_000 }));
  afterEach(() => vi.useRealTimers());

  it('restores drafts at start, saves an edit once typing pauses, and clears on send', async () => {
    const f = fakeClient();
    const drafts = reactive<Record<string, string>>({});
    startDraftSync(f.client, drafts, () => [conv('a', { text: 'from before', updatedAt: 5 }), conv('b')]);
    expect(drafts).toEqual({ a: 'from before' });

    drafts.b = 'h';
    await nextTick();
    drafts.b = 'hello';
    await nextTick();
    vi.advanceTimersByTime(500);
    expect(f.saved).toEqual([]);
    vi.advanceTimersByTime(400);
    expect(f.saved).toEqual([['b', 'hello', 1_000_001]]);

    delete drafts.a; // sent
    await nextTick();
    vi.advanceTimersByTime(1000);
    expect(f.saved.at(-1)).toEqual(['a', '', 1_000_900]);
  });

  it('takes a newer draft from another device, keeps a newer local edit, and does not echo', async () => {
    const f = fakeClient();
    const drafts = reactive<Record<string, string>>({});
    startDraftSync(f.client, drafts, () => []);
    f.push(conv('a', { text: 'typed on the phone', updatedAt: 2_000_000 }));
    expect(drafts.a).toBe('typed on the phone');
    await nextTick();
    vi.advanceTimersByTime(2000);
    expect(f.saved).toEqual([]); // the server's own draft is not saved back

    drafts.a = 'edited here';
    await nextTick();
    f.push(conv('a', { text: 'older from the phone', updatedAt: 1 })); // arrives while typing
    expect(drafts.a).toBe('edited here');
    vi.advanceTimersByTime(1000);
    // Later than the phone's draft it replaces, though this clock says earlier.
    expect(f.saved).toEqual([['a', 'edited here', 2_000_001]]);

    // Deleted on another device later: gone here too.
    f.push(conv('a'));
    f.push(conv('a', { text: 'x', updatedAt: 0 }));
    expect(drafts.a).toBe('edited here');
    f.push(conv('a', { text: 'newest', updatedAt: 3_000_000 }));
    expect(drafts.a).toBe('newest');
  });
});
