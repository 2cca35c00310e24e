import { describe, expect, it, vi } from 'vitest';
import { MyChatClient } from './client.js';
import { E2ee } from './e2ee-api.js';
import { keptSeqsIn } from './e2ee-cache-format.js';
import { OpenedCache } from './e2ee-cache.js';
import { importX25519, newPair, seal } from './e2ee-crypto.js';
import { MemoryKeyStore, type E2eeKeyStore } from './e2ee-keys.js';
import type { ChatMessage, Sealed } from './types.js';

const enc = new TextEncoder();
const dec = new TextDecoder();
const ME = { userId: '7', deviceId: 'a'.repeat(32) };

/** `n` sealed messages of conversation `conv`, seqs 1..n, from one sender to me. */
async function messages(n: number, conv = '1', size = 10): Promise<{ m: ChatMessage; sealed: Sealed }[]> {
  const sender = { userId: '8', deviceId: 'b'.repeat(32), pair: await newPair('X25519') };
  const me = await importX25519((await newPair('X25519')).publicKey);
  const out = [];
  for (let seq = 1; seq <= n; seq++) {
    const sealed = {
      ...(await seal(enc.encode(`${seq}`.padEnd(size, '.')), conv, sender, [{ ...ME, key: me }])),
      files: [],
    };
    const m = {
      conversationId: conv,
      seq,
      senderId: '8',
      createdAt: 1,
      content: { type: 'encrypted', sealed },
    };
    out.push({ m: m as ChatMessage, sealed });
  }
  return out;
}

const body = (x: { m: ChatMessage }) => enc.encode(`${x.m.seq}`.padEnd(10, '.'));
const keepAll = (cache: OpenedCache, list: { m: ChatMessage; sealed: Sealed }[]) =>
  Promise.all(list.map((x) => cache.put(x.m, x.sealed, body(x), ME.deviceId)));
/** The seqs whose body the cache gives back, and those with an entry in the store. */
async function kept(cache: OpenedCache, list: { m: ChatMessage; sealed: Sealed }[]) {
  const got = await cache.getMany(list, ME.deviceId);
  return list
    .filter((_, i) => got[i] && dec.decode(got[i]) === dec.decode(body(list[i]!)))
    .map((x) => x.m.seq);
}
/** The seqs whose bodies are in the store (its blocks decrypted), not as the index says. */
const stored = (map: Map<string, unknown>, conv = '1') => keptSeqsIn(map, '7', conv);

describe('OpenedCache: a bound, oldest out', () => {
  it('keeps at most `entries`: the oldest kept go first, in the store too, across instances', async () => {
    const map = new Map<string, unknown>();
    const list = await messages(7);
    const cache = new OpenedCache(new MemoryKeyStore(map), '7', { entries: 3, bytes: 1 << 20 });
    for (const x of list.slice(0, 5)) await cache.put(x.m, x.sealed, body(x), ME.deviceId);
    expect(await kept(cache, list)).toEqual([3, 4, 5]);
    expect(await stored(map)).toEqual([3, 4, 5]);
    // Kept again: it is the newest now, so 4 goes next, not 3.
    await cache.put(list[2]!.m, list[2]!.sealed, body(list[2]!), ME.deviceId);
    // The app reopened: the stored index carries the order and the bound on.
    const again = new OpenedCache(new MemoryKeyStore(map), '7', { entries: 3, bytes: 1 << 20 });
    await again.put(list[5]!.m, list[5]!.sealed, body(list[5]!), ME.deviceId);
    expect(await stored(map)).toEqual([3, 5, 6]);
    expect(await kept(again, list)).toEqual([3, 5, 6]);
    // Many at once (a page opened together): one write, still within the bound.
    await keepAll(again, list);
    expect(await stored(map)).toHaveLength(3);
  });

  it('keeps at most `bytes` of records (each body with its binding)', async () => {
    const map = new Map<string, unknown>();
    const list = await messages(6, '1', 100);
    // One record's size, from the index: room for 2 and a half.
    const probe = new Map<string, unknown>();
    const one = new OpenedCache(new MemoryKeyStore(probe), '7');
    await one.put(list[0]!.m, list[0]!.sealed, enc.encode('1'.padEnd(100, '.')), ME.deviceId);
    const record = Number(/ (\d+) b$/.exec(probe.get('e2ee/7/opened/index') as string)![1]);
    expect(record).toBeGreaterThan(100);
    const cache = new OpenedCache(new MemoryKeyStore(map), '7', { entries: 100, bytes: record * 2.5 });
    for (const x of list)
      await cache.put(x.m, x.sealed, enc.encode(`${x.m.seq}`.padEnd(100, '.')), ME.deviceId);
    expect(await stored(map)).toEqual([5, 6]);
  });

  it('refuses a bound of nothing, and skips a damaged index', async () => {
    const store = new MemoryKeyStore();
    expect(() => new OpenedCache(store, '7', { entries: 0, bytes: 10 })).toThrow(RangeError);
    expect(() => new OpenedCache(store, '7', { entries: 5, bytes: Number.NaN })).toThrow(RangeError);
    // Given to the E2ee: refused at once, not at its first use.
    const client = new MyChatClient({
      baseUrl: 'http://127.0.0.1:9',
      device: { clientType: 'pc', deviceId: 'd', name: 'n' },
    });
    expect(() => new E2ee(client, { openedLimits: { bytes: 0 } })).toThrow(RangeError);
    expect(() => new E2ee(client, { openedLimits: { entries: 5 } })).not.toThrow();
    const map = new Map<string, unknown>([['e2ee/7/opened/index', 'garbage\n1/x 5\n1/2 7']]);
    const list = await messages(2);
    const cache = new OpenedCache(new MemoryKeyStore(map), '7');
    // Seq 2 is in the index but has no entry: a miss; the bad lines are dropped at the next write.
    expect(await kept(cache, list)).toEqual([]);
    await cache.put(list[0]!.m, list[0]!.sealed, body(list[0]!), ME.deviceId);
    expect(map.get('e2ee/7/opened/index')).toMatch(/^1\/2 7\n1\/1 \d+ b$/);
  });

  it('reads a page in one store read and one decrypt per block, and not what the index does not hold', async () => {
    const store = new MemoryKeyStore();
    const getMany = vi.spyOn(store, 'getMany');
    const get = vi.spyOn(store, 'get');
    const cache = new OpenedCache(store, '7');
    const list = await messages(12);
    expect(await kept(cache, list)).toEqual([]);
    expect(getMany).not.toHaveBeenCalled();
    await keepAll(cache, list.slice(0, 10));
    [getMany, get].forEach((s) => s.mockClear());
    const decrypt = vi.spyOn(globalThis.crypto.subtle, 'decrypt');
    expect(await kept(cache, list)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    // Seqs 1-10 share block 0: one entry read, one AES-GCM decrypt for the ten.
    expect(getMany).toHaveBeenCalledTimes(1);
    expect(getMany.mock.calls[0]![0]).toEqual(['e2ee/7/opened/b/1/0']);
    expect(decrypt).toHaveBeenCalledTimes(1);
    expect(get).not.toHaveBeenCalled();
    decrypt.mockRestore();
  });
});

describe('OpenedCache: forgetting', () => {
  it('drops what was cleared or hidden, in that conversation only', async () => {
    const map = new Map<string, unknown>();
    const mem = new MemoryKeyStore(map);
    const cache = new OpenedCache(mem, '7');
    const [one, two] = [await messages(6, '1'), await messages(3, '2')];
    await keepAll(cache, [...one, ...two]);
    await cache.forgetHidden({ id: '1', clearedSeq: 0, hiddenSeqs: [5] });
    expect(await stored(map)).toEqual([1, 2, 3, 4, 6]);
    await cache.forgetHidden({ id: '1', clearedSeq: 3, hiddenSeqs: [5] });
    expect(await stored(map)).toEqual([4, 6]);
    expect(await kept(cache, one)).toEqual([4, 6]);
    expect(await stored(map, '2')).toEqual([1, 2, 3]);
    // Nothing cleared or hidden: nothing written.
    const update = vi.spyOn(mem, 'update');
    await cache.forgetHidden({ id: '2', clearedSeq: 0, hiddenSeqs: [] });
    await cache.forgetHidden({ id: '2', clearedSeq: 0, hiddenSeqs: [9] });
    expect(update).not.toHaveBeenCalled();
    expect(await cache.conversations()).toEqual(['1', '2']);
  });

  it('forgets everything and the local key (sign-out), also in a store without prefix deletes', async () => {
    for (const withPrefix of [true, false]) {
      const map = new Map<string, unknown>([
        ['e2ee/7/device', 'kept'],
        ['e2ee/8/opened/key', 'other'],
      ]);
      const mem = new MemoryKeyStore(map);
      const store: E2eeKeyStore = withPrefix
        ? mem
        : {
            holdsCryptoKeys: true,
            get: (k) => mem.get(k),
            set: (k, v) => mem.set(k, v),
            delete: (k) => mem.delete(k),
          };
      const cache = new OpenedCache(store, '7');
      const list = await messages(4);
      await keepAll(cache, list);
      await cache.forgetAll();
      expect([...map.keys()].filter((k) => /^e2ee\/7\/opened\/[bm]\//.test(k))).toEqual([]);
      expect(map.has('e2ee/7/opened/key')).toBe(false);
      expect(map.get('e2ee/7/device')).toBe('kept');
      expect(map.get('e2ee/8/opened/key')).toBe('other');
      expect(await kept(cache, list)).toEqual([]);
      // Kept again afterwards, under a new local key.
      await cache.put(list[0]!.m, list[0]!.sealed, body(list[0]!), ME.deviceId);
      expect(await kept(new OpenedCache(store, '7'), list)).toEqual([1]);
    }
  });

  it('deletes what an older version kept without an index (and its local key)', async () => {
    const map = new Map<string, unknown>([
      ['e2ee/7/local-key', 'old key'],
      ['e2ee/7/opened/1/5', { iv: new Uint8Array(12), ct: new Uint8Array(20) }],
      ['e2ee/7/identity', 'kept'],
    ]);
    const cache = new OpenedCache(new MemoryKeyStore(map), '7');
    expect(await kept(cache, await messages(5))).toEqual([]);
    expect([...map.keys()]).toEqual(['e2ee/7/identity']);
  });
});
