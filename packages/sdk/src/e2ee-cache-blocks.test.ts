/**
 * Kept bodies in blocks (docs/security.md, section 3, item 5): a page reopens with one decrypt
 * per block, forgetting rewrites the block, entries of the older version (local/v2) still
 * read, and keeping runs in the background (opens do not wait for it; forgets do).
 */
import { describe, expect, it, vi } from 'vitest';
import { bindingOf, keptSeqsIn } from './e2ee-cache-format.js';
import { OpenedCache } from './e2ee-cache.js';
import { devices, keep, ME, messages, texts } from './e2ee-cache.test-helpers.js';
import type { KeyPair } from './e2ee-crypto.js';
import { MemoryKeyStore } from './e2ee-keys.js';
import { openMessage } from './e2ee-open.js';
import type { OwnKeys } from './e2ee-keys.js';

const enc = new TextEncoder();

describe('OpenedCache: blocks of bodies', () => {
  it('reopens a page of 50 with at most two decrypts, and a deleted message rewrites its block', async () => {
    const d = await devices();
    const map = new Map<string, unknown>();
    const cache = new OpenedCache(new MemoryKeyStore(map), '7');
    const seqs = Array.from({ length: 50 }, (_, i) => 100 + i);
    const page = await messages(seqs, d);
    await keep(cache, page);
    // Seqs 100-127 and 128-149: blocks 1 and 2 (64 seqs each), nothing else stored per message.
    const blocks = [...map.keys()].filter((k) => k.includes('/opened/b/')).sort();
    expect(blocks).toEqual(['e2ee/7/opened/b/1/1', 'e2ee/7/opened/b/1/2']);
    expect([...map.keys()].filter((k) => k.includes('/opened/m/'))).toEqual([]);

    const decrypt = vi.spyOn(globalThis.crypto.subtle, 'decrypt');
    const again = new OpenedCache(new MemoryKeyStore(map), '7');
    expect(await texts(again, page)).toEqual(seqs.map((s) => `m${s}`));
    expect(decrypt).toHaveBeenCalledTimes(2);
    decrypt.mockRestore();

    // Deleted for me: its block is rewritten without it; the rest still open.
    await again.forget({ conversationId: '1', seq: 120 });
    expect(await keptSeqsIn(map, '7', '1')).toEqual(seqs.filter((s) => s !== 120));
    expect((await texts(new OpenedCache(new MemoryKeyStore(map), '7'), page)).filter((t) => !t)).toHaveLength(
      1,
    );
    // The last of a block forgotten: the block goes.
    await again.forgetWhere('1', (s) => s < 128);
    expect([...map.keys()].filter((k) => k.includes('/opened/b/'))).toEqual(['e2ee/7/opened/b/1/2']);
  });

  it('reads a block once for a page opened in two parts; a forget does not come back from memory', async () => {
    const d = await devices();
    const map = new Map<string, unknown>();
    const seqs = Array.from({ length: 50 }, (_, i) => i + 1);
    const page = await messages(seqs, d);
    await keep(new OpenedCache(new MemoryKeyStore(map), '7'), page);
    const cache = new OpenedCache(new MemoryKeyStore(map), '7');
    const decrypt = vi.spyOn(globalThis.crypto.subtle, 'decrypt');
    expect(await texts(cache, page.slice(-20))).toEqual(seqs.slice(-20).map((s) => `m${s}`));
    expect(await texts(cache, page.slice(0, -20))).toEqual(seqs.slice(0, -20).map((s) => `m${s}`));
    expect(decrypt).toHaveBeenCalledTimes(1);
    decrypt.mockRestore();
    await cache.forget({ conversationId: '1', seq: 10 });
    const after = await texts(cache, page);
    expect(after[9]).toBeUndefined();
    expect(after.filter((t) => t)).toHaveLength(49);
    // Kept again: read anew, with it.
    await keep(cache, [page[9]!]);
    expect((await texts(cache, page))[9]).toBe('m10');
  });

  it('compares each binding on read: another message under a seq, or a moved block, does not open', async () => {
    const d = await devices();
    const map = new Map<string, unknown>();
    const cache = new OpenedCache(new MemoryKeyStore(map), '7');
    const [a, b] = await messages([1, 2], d);
    await keep(cache, [a!, b!]);
    // Another sealed message under seq 1 (the same text): its binding differs.
    const [other] = await messages([1], d);
    expect(await texts(cache, [other!, b!])).toEqual([undefined, 'm2']);
    // Block 0 copied to block 1's place (seq 65 would read it): it does not decrypt there.
    const [far] = await messages([65], d);
    await keep(cache, [far!]);
    map.set('e2ee/7/opened/b/1/1', map.get('e2ee/7/opened/b/1/0'));
    expect(await texts(new OpenedCache(new MemoryKeyStore(map), '7'), [far!, a!])).toEqual([undefined, 'm1']);
  });

  it('still reads a body kept by the older version (local/v2), and moves it into its block', async () => {
    const d = await devices();
    const map = new Map<string, unknown>();
    const [a] = await messages([5], d);
    const key = await crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, [
      'encrypt',
      'decrypt',
    ]);
    const iv = crypto.getRandomValues(new Uint8Array(12));
    const aad = bindingOf(a!.m, a!.sealed, ME, 'v2');
    const ct = new Uint8Array(
      await crypto.subtle.encrypt({ name: 'AES-GCM', iv, additionalData: aad }, key, enc.encode('m5')),
    );
    map.set('e2ee/7/opened/key', key);
    map.set('e2ee/7/opened/index', `1/5 ${ct.length + 12}`);
    map.set('e2ee/7/opened/m/1/5', { iv, ct });
    const cache = new OpenedCache(new MemoryKeyStore(map), '7');
    expect(await texts(cache, [a!])).toEqual(['m5']);
    // A changed byte of the message: the old entry does not open either.
    const flipped = { ...a!.sealed, nonce: a!.sealed.nonce.map((v, i) => (i ? v : v ^ 1)) };
    expect(await texts(cache, [{ m: a!.m, sealed: flipped }])).toEqual([undefined]);
    await cache.settled();
    expect(map.has('e2ee/7/opened/m/1/5')).toBe(false);
    expect(map.get('e2ee/7/opened/index')).toMatch(/^1\/5 \d+ b$/);
    expect(await texts(new OpenedCache(new MemoryKeyStore(map), '7'), [a!])).toEqual(['m5']);
  });
});

describe('keeping in the background', () => {
  /** A store whose writes wait until `release()`. */
  function slowStore() {
    const map = new Map<string, unknown>();
    const mem = new MemoryKeyStore(map);
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const update = mem.update.bind(mem);
    mem.update = async (set, del) => {
      await gate;
      return update(set, del);
    };
    return { map, mem, release };
  }

  it('shows an opened body without waiting for its write; a forget waits for it', async () => {
    const d = await devices();
    const { map, mem, release } = slowStore();
    const cache = new OpenedCache(mem, '7');
    const [a, b] = await messages([1, 2], d);
    const own = { device: { id: ME.deviceId, pair: d.me as KeyPair } } as OwnKeys;
    const me = { userId: ME.userId, own };
    const r = await openMessage(a!.m, a!.sealed, me, () => Promise.resolve(d.senderKey), { opened: cache });
    expect(r).toEqual({ ok: true, body: { type: 'text', text: 'm1' } });
    // Opened while its keep is still being written.
    expect(await keptSeqsIn(map, '7', '1')).toEqual([]);
    expect(await cache.has(a!.m)).toBe(true);
    await openMessage(b!.m, b!.sealed, me, () => Promise.resolve(d.senderKey), { opened: cache });
    let forgot = false;
    const forget = cache.forget(b!.m).then(() => (forgot = true));
    await new Promise((r) => setTimeout(r, 10));
    expect(forgot).toBe(false);
    release();
    await forget;
    await cache.settled();
    expect(await keptSeqsIn(map, '7', '1')).toEqual([1]);
  });

  it('writes the keeps of one turn (a page opened together) in one write, after that turn', async () => {
    const d = await devices();
    const mem = new MemoryKeyStore(new Map());
    const update = vi.spyOn(mem, 'update');
    const cache = new OpenedCache(mem, '7');
    const page = await messages([1, 2, 3], d);
    const first = cache.put(page[0]!.m, page[0]!.sealed, enc.encode('m1'), ME.deviceId);
    // Other opens of the page finish within the same macrotask (many microtasks later).
    for (let i = 0; i < 200; i++) await Promise.resolve();
    expect(update).not.toHaveBeenCalled();
    const rest = page.slice(1).map((x) => cache.put(x.m, x.sealed, enc.encode(`m${x.m.seq}`), ME.deviceId));
    await cache.settled();
    await Promise.all([first, ...rest]);
    expect(update).toHaveBeenCalledTimes(1);
    expect(await texts(cache, page)).toEqual(['m1', 'm2', 'm3']);
    // A forget before the write drops the keep still waiting for it.
    const [d4] = await messages([4], d);
    void cache.put(d4!.m, d4!.sealed, enc.encode('m4'), ME.deviceId);
    await cache.forget(d4!.m);
    await cache.settled();
    expect(await cache.has(d4!.m)).toBe(false);
    expect(await texts(new OpenedCache(mem, '7'), [...page, d4!])).toEqual(['m1', 'm2', 'm3', undefined]);
  });

  it('drops a keep whose open began before a forget of its chat', async () => {
    const d = await devices();
    const map = new Map<string, unknown>();
    const cache = new OpenedCache(new MemoryKeyStore(map), '7');
    const [a] = await messages([1], d);
    const since = cache.mark();
    await cache.forgetHidden({ id: '1', clearedSeq: 1 });
    await cache.put(a!.m, a!.sealed, enc.encode('m1'), ME.deviceId, since);
    await cache.settled();
    expect(await cache.has(a!.m)).toBe(false);
    expect(await keptSeqsIn(map, '7', '1')).toEqual([]);
    // Begun after it: kept.
    await cache.put(a!.m, a!.sealed, enc.encode('m1'), ME.deviceId, cache.mark());
    expect(await keptSeqsIn(map, '7', '1')).toEqual([1]);
  });

  it('keeps a message whose open overlapped a forget of other seqs of its chat', async () => {
    const d = await devices();
    const map = new Map<string, unknown>();
    const cache = new OpenedCache(new MemoryKeyStore(map), '7');
    const [, b, c] = await messages([1, 2, 3], d);
    const since = cache.mark();
    // The chat's state applied again while seq 2 was being opened: it clears seq 1 only.
    await cache.forgetHidden({ id: '1', clearedSeq: 1 });
    await cache.put(b!.m, b!.sealed, enc.encode('m2'), ME.deviceId, since);
    expect(await keptSeqsIn(map, '7', '1')).toEqual([2]);
    // Past the forgets remembered per chat, an older keep is dropped (the safe side).
    const old = cache.mark();
    for (let i = 0; i < 40; i++) await cache.forgetHidden({ id: '1', hiddenSeqs: [1] });
    await cache.put(c!.m, c!.sealed, enc.encode('m3'), ME.deviceId, old);
    expect(await keptSeqsIn(map, '7', '1')).toEqual([2]);
    await cache.put(c!.m, c!.sealed, enc.encode('m3'), ME.deviceId, cache.mark());
    expect(await keptSeqsIn(map, '7', '1')).toEqual([2, 3]);
  });
});
