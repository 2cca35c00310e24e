/**
 * A page of an encrypted chat reopened (E2ee.history, docs/security.md section 3, item 5): the
 * kept bodies' blocks read and decrypted while the page is fetched (OpenedCache.preload), and
 * which seqs count as kept (runOf).
 */
import { describe, expect, it, vi } from 'vitest';
import { bindingOf, runOf, sealedFromRecord } from './e2ee-cache-format.js';
import { OpenedCache } from './e2ee-cache.js';
import { devices, keep, ME, messages, texts } from './e2ee-cache.test-helpers.js';
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

describe('sealedFromRecord: a message sent without its sealed bytes, made whole', () => {
  it('gives back the sealed message a record was kept from, and nothing for another', async () => {
    const d = await devices();
    const map = new Map<string, unknown>();
    const [a, b] = await messages([1, 2], d);
    await keep(new OpenedCache(new MemoryKeyStore(map), '7'), [a!, b!]);
    const [r] = await new OpenedCache(new MemoryKeyStore(map), '7').records([a!.m]);
    const empty = new Uint8Array(0);
    const elided = { ...a!.sealed, ciphertext: empty, ephemeralKey: empty, keys: [] };
    const whole = sealedFromRecord(r!, a!.m, elided)!;
    expect(whole).toEqual(a!.sealed);
    expect(bindingOf(a!.m, whole, ME, 'v3')).toEqual(r!.binding);
    // Another nonce, another sending device, another seq or sender: not this record's message.
    expect(sealedFromRecord(r!, a!.m, { ...elided, nonce: b!.sealed.nonce })).toBeUndefined();
    expect(sealedFromRecord(r!, a!.m, { ...elided, senderDeviceId: 'c'.repeat(32) })).toBeUndefined();
    expect(sealedFromRecord(r!, b!.m, { ...elided })).toBeUndefined();
    expect(sealedFromRecord(r!, { ...a!.m, senderId: '9' }, elided)).toBeUndefined();
    // A binding cut short: nothing (no throw).
    expect(sealedFromRecord({ ...r!, binding: r!.binding.slice(0, -3) }, a!.m, elided)).toBeUndefined();
  });

  it('reads ids that are not ASCII too', async () => {
    const d = await devices();
    const [a] = await messages([1], d);
    const reader = { userId: 'ü7', deviceId: ME.deviceId };
    const m = { ...a!.m, conversationId: '会话', senderId: 'é9' };
    const sealed = { ...a!.sealed, keys: [{ ...a!.sealed.keys[0]!, userId: 'ü7' }] };
    const record = { seq: m.seq, binding: bindingOf(m, sealed, reader, 'v3'), body: new Uint8Array(1) };
    const empty = new Uint8Array(0);
    const elided = { ...sealed, ciphertext: empty, ephemeralKey: empty, keys: [] };
    expect(sealedFromRecord(record, m, elided)).toEqual(sealed);
    expect(sealedFromRecord(record, { ...m, senderId: 'é8' }, elided)).toBeUndefined();
  });
});
