import type { ReadReceipts } from '@mychat/sdk';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ReadReceiptCache, type ReadReceiptCacheOptions } from './read-receipts.js';

const receipts = (readerIds: string[], memberCount = 5): ReadReceipts => ({
  readCount: readerIds.length,
  deliveredCount: memberCount,
  memberCount,
  readerIds,
});

/** A server whose answers the test releases one by one; it records every request. */
function fakeServer() {
  const calls: {
    conversationId: string;
    seq: number;
    resolve(r: ReadReceipts): void;
    reject(e: unknown): void;
  }[] = [];
  const fetch = (conversationId: string, seq: number) =>
    new Promise<ReadReceipts>((resolve, reject) => calls.push({ conversationId, seq, resolve, reject }));
  return { calls, fetch };
}

function setup(opts: Partial<ReadReceiptCacheOptions> = {}) {
  const server = fakeServer();
  const changes: [string, number, number][] = [];
  const cache = new ReadReceiptCache({
    fetch: server.fetch,
    onChange: (c, s, r) => changes.push([c, s, r.readCount]),
    concurrency: 3,
    minIntervalMs: 5_000,
    maxAgeMs: 60_000,
    batchDelayMs: 50,
    ...opts,
  });
  return { cache, server, calls: server.calls, changes };
}

/** Lets timers up to `ms` from now run, and the promises they settle. */
const tick = (ms = 0) => vi.advanceTimersByTimeAsync(ms);

describe('read receipt cache', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('asks for the rows of one render together, newest first, at most `concurrency` at once', async () => {
    const { cache, calls } = setup();
    for (const seq of [10, 11, 12, 13, 14]) cache.show('g', seq);
    await tick(49);
    expect(calls).toHaveLength(0); // waits for the rest of the render
    await tick(1);
    expect(calls.map((c) => c.seq)).toEqual([14, 13, 12]);

    calls[0]!.resolve(receipts(['a']));
    await tick();
    expect(calls.map((c) => c.seq)).toEqual([14, 13, 12, 11]);
    for (const c of calls.slice(1)) c.resolve(receipts([]));
    await tick();
    expect(calls.map((c) => c.seq)).toEqual([14, 13, 12, 11, 10]);
    calls[4]!.resolve(receipts([]));
    await tick(1_000);
    expect(calls).toHaveLength(5); // each once
    expect(cache.get('g', 14)?.readerIds).toEqual(['a']);
  });

  it('does not ask for rows scrolled past before their request went out', async () => {
    const { cache, calls } = setup({ concurrency: 1 });
    const hide10 = cache.show('g', 10);
    cache.show('g', 11);
    hide10();
    await tick(50);
    expect(calls.map((c) => c.seq)).toEqual([11]);
    calls[0]!.resolve(receipts([]));
    await tick(10_000);
    expect(calls.map((c) => c.seq)).toEqual([11]);
  });

  it('caches per (conversation, seq): shown again, a known message is not asked again until maxAgeMs', async () => {
    const { cache, calls } = setup();
    const hide = cache.show('g', 7);
    await tick(50);
    calls[0]!.resolve(receipts(['a', 'b']));
    await tick();
    hide();

    cache.show('g', 7);
    cache.show('h', 7); // same seq, another conversation: its own entry
    await tick(50);
    expect(calls.map((c) => `${c.conversationId}:${c.seq}`)).toEqual(['g:7', 'h:7']);
    expect(cache.get('g', 7)?.readCount).toBe(2);
    expect(cache.get('h', 7)).toBeUndefined();

    await tick(60_000);
    cache.show('g', 7);
    await tick(50);
    expect(calls.map((c) => `${c.conversationId}:${c.seq}`)).toEqual(['g:7', 'h:7', 'g:7']);
  });

  it('a count only grows: an answer with fewer readers keeps the higher one', async () => {
    const { cache, calls, changes } = setup();
    cache.show('g', 3);
    await tick(50);
    calls[0]!.resolve(receipts(['a', 'b']));
    await tick();
    expect(changes).toEqual([['g', 3, 2]]);

    cache.refresh('g');
    await tick(5_000);
    calls[1]!.resolve(receipts(['a'])); // b hid their receipts since
    await tick();
    expect(cache.get('g', 3)?.readerIds).toEqual(['a', 'b']);

    cache.refresh('g');
    await tick(5_000);
    calls[2]!.resolve(receipts(['a', 'b', 'c']));
    await tick();
    expect(cache.get('g', 3)?.readCount).toBe(3);
    expect(changes).toEqual([
      ['g', 3, 2],
      ['g', 3, 3],
    ]);
  });

  it('reports a change only when the answer differs', async () => {
    const { cache, calls, changes } = setup();
    cache.show('g', 3);
    await tick(50);
    calls[0]!.resolve(receipts(['a']));
    await tick();
    cache.refresh('g');
    await tick(5_000);
    calls[1]!.resolve(receipts(['a']));
    await tick();
    expect(calls).toHaveLength(2);
    expect(changes).toHaveLength(1);
  });

  it('refreshes a shown message at most once per minIntervalMs, and does not drop the last refresh', async () => {
    const { cache, calls } = setup();
    cache.show('g', 5);
    await tick(50);
    calls[0]!.resolve(receipts([]));
    await tick();

    // A burst of receipts right after the first answer: one more request, 5 s after the first.
    cache.refresh('g');
    await tick(1_000);
    cache.refresh('g');
    cache.refresh('g');
    await tick(3_900);
    expect(calls).toHaveLength(1);
    await tick(100);
    expect(calls).toHaveLength(2);
    calls[1]!.resolve(receipts(['a']));
    await tick(20_000);
    expect(calls).toHaveLength(2);
    expect(cache.get('g', 5)?.readCount).toBe(1);
  });

  it('a refresh while a request is in flight asks again afterwards (the answer may predate the read)', async () => {
    const { cache, calls } = setup();
    cache.show('g', 5);
    await tick(50);
    cache.refresh('g', 5);
    calls[0]!.resolve(receipts([]));
    await tick(4_000);
    expect(calls).toHaveLength(1);
    await tick(1_000);
    expect(calls).toHaveLength(2);
  });

  it('refresh touches only that conversation, up to the read seq, and only shown rows right away', async () => {
    const { cache, calls } = setup({ concurrency: 10 });
    const hide = cache.show('g', 1);
    cache.show('g', 2);
    cache.show('g', 3);
    cache.show('h', 1);
    await tick(50);
    for (const c of calls) c.resolve(receipts([]));
    await tick();
    hide();

    await tick(10_000);
    cache.refresh('g', 2); // someone read up to 2 in g
    await tick(50);
    expect(calls.slice(4).map((c) => `${c.conversationId}:${c.seq}`)).toEqual(['g:2']);
    calls[4]!.resolve(receipts(['a']));

    // g:1 is stale but not shown: asked when shown again.
    cache.show('g', 1);
    await tick(50);
    expect(calls.slice(5).map((c) => `${c.conversationId}:${c.seq}`)).toEqual(['g:1']);
    calls[5]!.resolve(receipts(['a']));

    // The reader's cursor moved on from 2 to 3: 1 and 2 counted them already.
    await tick(10_000);
    cache.refresh('g', 3, 2);
    await tick(50);
    expect(calls.slice(6).map((c) => `${c.conversationId}:${c.seq}`)).toEqual(['g:3']);
  });

  it('an error keeps the value shown; a network error is retried on the next refresh', async () => {
    const { cache, calls, changes } = setup();
    cache.show('g', 9);
    await tick(50);
    calls[0]!.resolve(receipts(['a']));
    await tick();

    cache.refresh('g');
    await tick(5_000);
    calls[1]!.reject(new Error('network'));
    await tick(30_000);
    expect(calls).toHaveLength(2); // no retry loop on its own
    expect(cache.get('g', 9)?.readerIds).toEqual(['a']);

    cache.refresh('g');
    await tick(50);
    expect(calls).toHaveLength(3);
    calls[2]!.resolve(receipts(['a', 'b']));
    await tick();
    expect(cache.get('g', 9)?.readCount).toBe(2);
    expect(changes.map((c) => c[2])).toEqual([1, 2]);
  });

  it('a first request that fails leaves nothing known, and other rows go on', async () => {
    const { cache, calls } = setup({ concurrency: 1 });
    cache.show('g', 1);
    cache.show('g', 2);
    await tick(50);
    calls[0]!.reject(new Error('network'));
    await tick();
    expect(cache.get('g', 2)).toBeUndefined();
    expect(calls.map((c) => c.seq)).toEqual([2, 1]);
  });

  it('a permanent error (left the group) stops asking for that message, and keeps its value', async () => {
    const notFound = new Error('NOT_FOUND');
    const { cache, calls } = setup({ isPermanent: (e) => e === notFound });
    cache.show('g', 4);
    await tick(50);
    calls[0]!.resolve(receipts(['a']));
    await tick();
    cache.refresh('g');
    await tick(5_000);
    calls[1]!.reject(notFound);
    await tick();

    cache.refresh('g');
    cache.refreshOne('g', 4);
    await tick(120_000);
    cache.show('g', 4);
    await tick(1_000);
    expect(calls).toHaveLength(2);
    expect(cache.get('g', 4)?.readCount).toBe(1);
  });

  it('refreshOne asks for that message only, within the interval', async () => {
    const { cache, calls } = setup();
    cache.show('g', 1);
    cache.show('g', 2);
    await tick(50);
    for (const c of calls) c.resolve(receipts([]));
    await tick(2_000);
    cache.refreshOne('g', 1);
    await tick(2_999);
    expect(calls).toHaveLength(2);
    await tick(1);
    expect(calls.map((c) => c.seq)).toEqual([2, 1, 1]);
  });
});
