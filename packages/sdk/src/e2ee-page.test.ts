/**
 * A page of an encrypted chat reopened (E2ee.history, docs/security.md section 3, item 5): the
 * kept bodies' blocks read and decrypted while the page is fetched (OpenedCache.preload), and
 * which seqs count as kept (runOf).
 */
import { describe, expect, it, vi } from 'vitest';
import { runOf } from './e2ee-cache-format.js';
import { OpenedCache } from './e2ee-cache.js';
import { devices, keep, messages, texts } from './e2ee-cache.test-helpers.js';
import { MemoryKeyStore } from './e2ee-keys.js';

describe('OpenedCache.preload', () => {
  it('reads and decrypts ahead: the page then opens with no store read and no decrypt', async () => {
    const d = await devices();
    const map = new Map<string, unknown>();
    const seqs = Array.from({ length: 50 }, (_, i) => 100 + i);
    const page = await messages(seqs, d);
    await keep(new OpenedCache(new MemoryKeyStore(map), '7'), page);
    const store = new MemoryKeyStore(map);
    const cache = new OpenedCache(store, '7');
    await cache.has(page[0]!.m);
    await cache.preload('1', 100, 149);
    const reads = vi.spyOn(store, 'getMany');
    const decrypt = vi.spyOn(globalThis.crypto.subtle, 'decrypt');
    expect(await texts(cache, page.slice(-20))).toEqual(seqs.slice(-20).map((s) => `m${s}`));
    expect(await texts(cache, page.slice(0, -20))).toEqual(seqs.slice(0, -20).map((s) => `m${s}`));
    expect(decrypt).not.toHaveBeenCalled();
    expect(reads).not.toHaveBeenCalled();
    decrypt.mockRestore();
  });

  it('serves nothing stale: a forget after the read is seen, and a read still running is waited for', async () => {
    const d = await devices();
    const map = new Map<string, unknown>();
    const page = await messages([1, 2, 3], d);
    await keep(new OpenedCache(new MemoryKeyStore(map), '7'), page);
    const cache = new OpenedCache(new MemoryKeyStore(map), '7');
    await cache.preload('1', 1, 3);
    await cache.forget({ conversationId: '1', seq: 2 });
    expect(await texts(cache, page)).toEqual(['m1', undefined, 'm3']);
    // Not awaited: getMany waits for it rather than reading the same block twice.
    const other = new OpenedCache(new MemoryKeyStore(map), '7');
    const decrypt = vi.spyOn(globalThis.crypto.subtle, 'decrypt');
    void other.preload('1', 1, 3);
    expect(await texts(other, page)).toEqual(['m1', undefined, 'm3']);
    expect(decrypt).toHaveBeenCalledTimes(1);
    decrypt.mockRestore();
  });

  it('reads nothing for a block that is not there, and a damaged block opens nothing', async () => {
    const d = await devices();
    const map = new Map<string, unknown>();
    const page = await messages([1, 2], d);
    await keep(new OpenedCache(new MemoryKeyStore(map), '7'), page);
    const block = map.get('e2ee/7/opened/b/1/0') as { iv: Uint8Array; ct: Uint8Array };
    map.set('e2ee/7/opened/b/1/0', { iv: block.iv, ct: block.ct.map((v, i) => (i ? v : v ^ 1)) });
    const cache = new OpenedCache(new MemoryKeyStore(map), '7');
    await cache.preload('1', 1, 200);
    expect(await texts(cache, page)).toEqual([undefined, undefined]);
  });
});

describe('runOf: the kept seqs a page can be opened from', () => {
  const seqs = new Set([1, 2, 3, 5, 6, 7, 8, 9, 10]);
  it('is the run without a gap that ends at the newest kept seq at most top, within the page', () => {
    expect(runOf(seqs, 10, 50)).toEqual({ fromSeq: 5, toSeq: 10 });
    expect(runOf(seqs, 12, 50)).toEqual({ fromSeq: 5, toSeq: 10 });
    expect(runOf(seqs, 10, 3)).toEqual({ fromSeq: 8, toSeq: 10 });
    expect(runOf(seqs, 4, 50)).toEqual({ fromSeq: 1, toSeq: 3 });
  });
  it('is undefined when nothing of the page is kept', () => {
    expect(runOf(seqs, 20, 5)).toBeUndefined();
    expect(runOf(undefined, 10, 50)).toBeUndefined();
    expect(runOf(new Set(), 10, 50)).toBeUndefined();
  });
});
