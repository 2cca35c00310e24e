import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { backendAvailable, backendUrls, uniqueName } from '../../../test/helpers/backends.js';
import type { Kv } from './kv.js';
import { createMemoryKv } from './memory.kv.js';
import { openKv } from './open-kv.js';
import { inProcessPrimary, type InProcessPrimary } from '../../workers/in-process.test-helpers.js';

const logger = pino({ level: 'silent' });

interface KvBackend {
  name: string;
  available: () => Promise<boolean>;
  /** Opens an instance with the given global prefix. */
  open: (prefix: string) => Promise<Kv>;
  /** Whether two instances with one prefix share keys (true for a real server). */
  shared: boolean;
  /** Deletes whatever a run left behind under `prefix`. */
  cleanup?: (prefix: string) => Promise<void>;
}

/** Deletes every Redis key starting with `prefix` (SCAN, so it is safe on a shared server). */
async function deleteRedisPrefix(prefix: string): Promise<void> {
  const raw = new Redis(backendUrls.redis);
  try {
    for await (const keys of raw.scanStream({ match: `${prefix}*`, count: 200 }) as AsyncIterable<string[]>) {
      if (keys.length > 0) await raw.del(...keys);
    }
  } finally {
    await raw.quit();
  }
}

/** The one suite every kv backend must pass. */
function kvConformance(backend: KvBackend): void {
  const run = uniqueName('kvtest');
  const opened: Kv[] = [];
  const open = async (sub = 'main') => {
    const kv = await backend.open(`${run}:${sub}:`);
    opened.push(kv);
    return kv;
  };
  let n = 0;
  const key = () => `k${++n}`;

  afterAll(async () => {
    await Promise.all(opened.map((kv) => kv.close()));
    await backend.cleanup?.(`${run}:`);
  });

  it('gets, sets, overwrites and deletes', async () => {
    const kv = await open();
    const k = key();
    expect(await kv.get(k)).toBeNull();
    expect(await kv.set(k, 'one')).toBe(true);
    expect(await kv.get(k)).toBe('one');
    expect(await kv.set(k, 'two')).toBe(true);
    expect(await kv.get(k)).toBe('two');
    expect(await kv.del(k)).toBe(true);
    expect(await kv.del(k)).toBe(false);
    expect(await kv.get(k)).toBeNull();
  });

  it('gets many values at once, in order, with null for missing and expired keys', async () => {
    const kv = await open();
    const [a, b, gone, missing] = [key(), key(), key(), key()];
    expect(await kv.getMany([])).toEqual([]);
    await kv.set(a, 'one');
    await kv.set(b, 'two');
    await kv.set(gone, 'soon', { ttlMs: 20 });
    await sleep(60);
    expect(await kv.getMany([b, missing, a, gone, b])).toEqual(['two', null, 'one', null, 'two']);
  });

  it('writes with ifAbsent only when the key is missing', async () => {
    const kv = await open();
    const k = key();
    expect(await kv.set(k, 'first', { ifAbsent: true })).toBe(true);
    expect(await kv.set(k, 'second', { ifAbsent: true })).toBe(false);
    expect(await kv.get(k)).toBe('first');
    const winners = await Promise.all(
      Array.from({ length: 10 }, (_, i) => kv.set(`${k}:race`, `v${i}`, { ifAbsent: true })),
    );
    expect(winners.filter(Boolean)).toHaveLength(1);
  });

  it('expires a value set with a TTL, and ifAbsent succeeds again afterwards', async () => {
    const kv = await open();
    const k = key();
    expect(await kv.set(k, 'code', { ttlMs: 150, ifAbsent: true })).toBe(true);
    const left = await kv.pttl(k);
    expect(left).toBeGreaterThan(0);
    expect(left).toBeLessThanOrEqual(150);
    expect(await kv.get(k)).toBe('code');
    await sleep(200);
    expect(await kv.get(k)).toBeNull();
    expect(await kv.pttl(k)).toBe(-2);
    expect(await kv.set(k, 'again', { ttlMs: 80, ifAbsent: true })).toBe(true);
  });

  it('clears an earlier TTL on a plain set', async () => {
    const kv = await open();
    const k = key();
    await kv.set(k, 'a', { ttlMs: 60 });
    await kv.set(k, 'b');
    expect(await kv.pttl(k)).toBe(-1);
    await sleep(100);
    expect(await kv.get(k)).toBe('b');
  });

  it('reads and deletes once with getDel, even under concurrency', async () => {
    const kv = await open();
    const k = key();
    expect(await kv.getDel(k)).toBeNull();
    await kv.set(k, 'single-use');
    const got = await Promise.all(Array.from({ length: 10 }, () => kv.getDel(k)));
    expect(got.filter((v) => v !== null)).toEqual(['single-use']);
    expect(await kv.get(k)).toBeNull();
  });

  it('increments counters atomically, by any integer', async () => {
    const kv = await open();
    const k = key();
    expect(await kv.incr(k)).toBe(1);
    expect(await kv.incr(k)).toBe(2);
    expect(await kv.incr(k, { by: 5 })).toBe(7);
    expect(await kv.incr(k, { by: -10 })).toBe(-3);
    expect(await kv.get(k)).toBe('-3');
    const c = key();
    const values = await Promise.all(Array.from({ length: 50 }, () => kv.incr(c, { ttlMs: 5000 })));
    expect([...values].sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
  });

  it('rejects incr on a value that is not an integer', async () => {
    const kv = await open();
    const k = key();
    await kv.set(k, 'hello');
    await expect(kv.incr(k)).rejects.toThrow();
    expect(await kv.get(k)).toBe('hello');
  });

  it('sets the incr TTL when the counter is created and never extends it', async () => {
    const kv = await open();
    const k = key();
    expect(await kv.incr(k, { ttlMs: 150 })).toBe(1);
    await sleep(70);
    expect(await kv.incr(k, { ttlMs: 150 })).toBe(2);
    const left = await kv.pttl(k);
    expect(left).toBeGreaterThan(0);
    expect(left).toBeLessThanOrEqual(150 - 60);
    await sleep(left + 40);
    expect(await kv.get(k)).toBeNull();
    expect(await kv.incr(k, { ttlMs: 150 })).toBe(1);
  });

  it('does not add a TTL to an existing counter through incr', async () => {
    const kv = await open();
    const k = key();
    await kv.incr(k);
    await kv.incr(k, { ttlMs: 50 });
    expect(await kv.pttl(k)).toBe(-1);
  });

  it('reports pttl: -2 missing, -1 without TTL, remaining ms otherwise', async () => {
    const kv = await open();
    const k = key();
    expect(await kv.pttl(k)).toBe(-2);
    await kv.set(k, 'v');
    expect(await kv.pttl(k)).toBe(-1);
    await kv.set(k, 'v', { ttlMs: 10_000 });
    const left = await kv.pttl(k);
    expect(left).toBeGreaterThan(9_000);
    expect(left).toBeLessThanOrEqual(10_000);
  });

  it('sets a TTL on an existing key with expire, which then expires', async () => {
    const kv = await open();
    const k = key();
    expect(await kv.expire(k, 50)).toBe(false);
    await kv.set(k, 'v');
    expect(await kv.expire(k, 100)).toBe(true);
    const left = await kv.pttl(k);
    expect(left).toBeGreaterThan(0);
    expect(left).toBeLessThanOrEqual(100);
    await sleep(150);
    expect(await kv.get(k)).toBeNull();
    expect(await kv.del(k)).toBe(false);
  });

  it('rejects a TTL that is not positive', async () => {
    const kv = await open();
    const k = key();
    for (const ttlMs of [0, -5, Number.NaN]) {
      await expect(kv.set(k, 'v', { ttlMs })).rejects.toThrow(RangeError);
      await expect(kv.incr(k, { ttlMs })).rejects.toThrow(RangeError);
      await expect(kv.expire(k, ttlMs)).rejects.toThrow(RangeError);
    }
    expect(await kv.get(k)).toBeNull();
  });

  it('counts lease-set members, renews and removes them, and drops the key with the last', async () => {
    const kv = await open();
    const k = key();
    expect(await kv.leaseCount(k)).toBe(0);
    expect(await kv.leaseAdd(k, 'gw-a', 5_000)).toBe(1);
    expect(await kv.leaseAdd(k, 'gw-b', 5_000)).toBe(2);
    expect(await kv.leaseAdd(k, 'gw-a', 5_000)).toBe(2); // a renewal, not a second member
    expect(await kv.leaseCount(k)).toBe(2);
    const ttl = await kv.pttl(k);
    expect(ttl).toBeGreaterThan(4_000);
    expect(ttl).toBeLessThanOrEqual(5_000);
    expect(await kv.leaseRemove(k, 'gw-a')).toBe(1);
    expect(await kv.leaseRemove(k, 'gw-a')).toBe(1);
    expect(await kv.leaseRemove(k, 'gw-b')).toBe(0);
    expect(await kv.pttl(k)).toBe(-2);
    expect(await kv.leaseRemove(k, 'nobody')).toBe(0);
  });

  it('lets a lease nobody renews expire while the others stay', async () => {
    const kv = await open();
    const k = key();
    await kv.leaseAdd(k, 'dead-gateway', 60);
    await kv.leaseAdd(k, 'live-gateway', 5_000);
    expect(await kv.leaseCount(k)).toBe(2);
    await sleep(120);
    expect(await kv.leaseCount(k)).toBe(1);
    expect(await kv.leaseRemove(k, 'live-gateway')).toBe(0);
    await kv.leaseAdd(k, 'short', 60);
    await sleep(120);
    expect(await kv.leaseCount(k)).toBe(0);
    expect(await kv.pttl(k)).toBe(-2);
  });

  it('isolates instances with different prefixes', async () => {
    const a = await open('iso-a');
    const b = await open('iso-b');
    await a.set('same', 'from-a');
    await a.incr('counter');
    expect(await b.get('same')).toBeNull();
    expect(await b.del('same')).toBe(false);
    expect(await b.incr('counter')).toBe(1);
    expect(await a.get('same')).toBe('from-a');
  });

  it(`${backend.shared ? 'shares' : 'does not share'} keys between instances with the same prefix`, async () => {
    const a = await open('shared');
    const b = await open('shared');
    await a.set('k', 'v', { ttlMs: 5000 });
    expect(await b.getDel('k')).toBe(backend.shared ? 'v' : null);
    expect(await a.get('k')).toBe(backend.shared ? null : 'v');
  });

  it('rejects calls after close', async () => {
    const kv = await backend.open(`${run}:closed:`);
    await kv.set('k', 'v', { ttlMs: 5000 });
    await kv.close();
    await expect(kv.get('k')).rejects.toThrow();
    await expect(kv.getMany(['k'])).rejects.toThrow();
  });
}

const primaries = new Map<string, Promise<InProcessPrimary>>();
afterAll(async () => {
  for (const p of primaries.values()) await (await p).close();
});

const backends: KvBackend[] = [
  {
    name: 'memory',
    available: async () => true,
    open: (prefix) => openKv({ prefix, logger }),
    shared: false,
  },
  {
    // A socket worker's kv: each instance is one more worker of the prefix's primary.
    name: 'ipc (socket workers through their primary)',
    available: async () => true,
    open: async (prefix) => {
      let primary = primaries.get(prefix);
      if (!primary) primaries.set(prefix, (primary = inProcessPrimary()));
      return (await (await primary).uplink()).kv;
    },
    shared: true,
  },
  {
    name: 'redis',
    available: () => backendAvailable('redis'),
    open: (prefix) => openKv({ redisUrl: backendUrls.redis, prefix, logger }),
    shared: true,
    cleanup: deleteRedisPrefix,
  },
];

for (const backend of backends) {
  describe.skipIf(!(await backend.available()))(`kv conformance: ${backend.name}`, () =>
    kvConformance(backend),
  );
}

describe('memory kv sweep', () => {
  it('removes expired keys nobody reads', async () => {
    const kv = createMemoryKv({ sweepIntervalMs: 20 });
    await kv.set('a', '1', { ttlMs: 30 });
    await kv.incr('b', { ttlMs: 30 });
    await kv.set('keep', '1');
    expect(kv.size).toBe(3);
    await sleep(100);
    expect(kv.size).toBe(1);
    await kv.close();
  });
});

describe.skipIf(!(await backendAvailable('redis')))('redis kv storage', () => {
  it('stores every key under the prefix, and nothing else', async () => {
    const prefix = `${uniqueName('kvraw')}:`;
    const raw = new Redis(backendUrls.redis);
    const kv = await openKv({ redisUrl: backendUrls.redis, prefix, logger });
    try {
      await kv.set('auth:code:x', 'v', { ttlMs: 5000 });
      await kv.incr('rl:y', { ttlMs: 5000 });
      expect((await raw.keys(`${prefix}*`)).sort()).toEqual([`${prefix}auth:code:x`, `${prefix}rl:y`]);
      expect(await raw.exists('auth:code:x')).toBe(0);
    } finally {
      await raw.del(`${prefix}auth:code:x`, `${prefix}rl:y`);
      await kv.close();
      await raw.quit();
    }
  });

  it('fails to open with a clear error when Redis is unreachable', async () => {
    await expect(openKv({ redisUrl: 'redis://:secret@127.0.0.1:1', logger })).rejects.toThrow(
      /cannot connect to redis at redis:\/\/:\*\*\*@127\.0\.0\.1:1/,
    );
  });
});
