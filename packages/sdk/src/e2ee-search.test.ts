import { describe, expect, it } from 'vitest';
import { searchEncryptedChat, type LocalSearchSource } from './e2ee-search.js';
import type { Opened } from './e2ee-types.js';
import type { ChatMessage } from './types.js';

/** A chat of `n` sealed messages whose "opened" text is `texts[seq]` (or a failure). */
function chat(opened: Record<number, Opened>, n: number, pageSize = 3) {
  const reads: (number | undefined)[] = [];
  const msg = (seq: number) =>
    ({
      seq,
      senderId: 'u',
      createdAt: seq,
      recalled: false,
      content: { type: 'encrypted' },
    }) as unknown as ChatMessage;
  const source: LocalSearchSource = {
    page(before) {
      reads.push(before);
      const top = (before ?? n + 1) - 1;
      const seqs = [];
      for (let s = Math.max(1, top - pageSize + 1); s <= top; s++) seqs.push(s);
      return Promise.resolve({ messages: seqs.map(msg), hasMore: seqs[0]! > 1 });
    },
    open: (ms) => Promise.resolve(ms.map((m) => opened[m.seq] ?? { ok: false, reason: 'tampered' })),
  };
  return { source, reads };
}
const text = (t: string): Opened => ({ ok: true, body: { type: 'text', text: t }, identityChanged: false });

describe('searchEncryptedChat', () => {
  it('pages newest first to the start, and only opened text matches', async () => {
    const { source, reads } = chat({ 7: text('Tea at five'), 2: text('TEA again'), 5: text('coffee') }, 7);
    const steps = [];
    for await (const s of searchEncryptedChat(source, 'tea')) steps.push(s);
    expect(reads).toEqual([undefined, 5, 2]);
    expect(steps.map((s) => s.hits.map((h) => h.seq))).toEqual([[7], [2], []]);
    expect(steps.at(-1)).toMatchObject({ scanned: 7, done: true });
    expect(steps[0]!.hits[0]!.highlights).toEqual([{ start: 0, end: 3 }]);
  });

  it('stops between pages when its signal aborts', async () => {
    const { source, reads } = chat({ 7: text('tea') }, 7);
    const ctl = new AbortController();
    const it = searchEncryptedChat(source, 'tea', { signal: ctl.signal });
    await it.next();
    ctl.abort();
    await expect(it.next()).rejects.toThrow();
    expect(reads).toEqual([undefined]);
  });
});
