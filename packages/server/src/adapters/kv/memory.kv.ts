import { checkTtlMs, type Kv } from './kv.js';

/** Options for {@link createMemoryKv}. */
export interface MemoryKvOptions {
  /** How often expired keys are removed in the background; reads expire lazily anyway. */
  sweepIntervalMs?: number;
}

interface Entry {
  value: string;
  /** Epoch ms, or undefined for no TTL. */
  expiresAt?: number;
  /** Present when the key is a lease set: member -> epoch ms it expires at. */
  leases?: Map<string, number>;
}

const INTEGER = /^-?\d+$/;

/** The in-memory kv, which can also say how many entries it holds. */
export interface MemoryKv extends Kv {
  /** Entries held, including expired ones not yet swept (for metrics and tests). */
  readonly size: number;
}

/**
 * The kv port in one process's memory (the embedded default). Same semantics as Redis:
 * a plain set clears an earlier TTL, incr only sets the TTL when it creates the counter.
 */
export function createMemoryKv(opts: MemoryKvOptions = {}): MemoryKv {
  const entries = new Map<string, Entry>();
  let closed = false;

  const wrongType = (key: string) => new Error(`WRONGTYPE: ${key} holds a lease set`);
  /** The live members of a lease set, expired ones dropped; null when the key is no lease set. */
  const leases = (key: string): Map<string, number> | null => {
    const e = live(key);
    if (!e) return null;
    if (!e.leases) throw new Error(`WRONGTYPE: ${key} does not hold a lease set`);
    const now = Date.now();
    for (const [m, at] of e.leases) if (at <= now) e.leases.delete(m);
    if (e.leases.size === 0) {
      entries.delete(key);
      return null;
    }
    return e.leases;
  };
  const leaseExpiry = (set: Map<string, number>) => Math.max(...set.values());

  const live = (key: string): Entry | undefined => {
    if (closed) throw new Error('kv is closed');
    const e = entries.get(key);
    if (e?.expiresAt !== undefined && e.expiresAt <= Date.now()) {
      entries.delete(key);
      return undefined;
    }
    return e;
  };

  // Lazy expiry alone would keep never-read keys (rate-limit windows, codes) forever.
  const sweep = setInterval(() => {
    const now = Date.now();
    for (const [key, e] of entries) if (e.expiresAt !== undefined && e.expiresAt <= now) entries.delete(key);
  }, opts.sweepIntervalMs ?? 10_000);
  sweep.unref();

  return {
    get size() {
      return entries.size;
    },
    async get(key) {
      const e = live(key);
      if (e?.leases) throw wrongType(key);
      return e?.value ?? null;
    },
    async getMany(keys) {
      if (closed) throw new Error('kv is closed');
      const now = Date.now();
      return keys.map((key) => {
        const e = entries.get(key);
        if (!e) return null;
        if (e.expiresAt !== undefined && e.expiresAt <= now) {
          entries.delete(key);
          return null;
        }
        if (e.leases) throw wrongType(key);
        return e.value;
      });
    },
    async set(key, value, o = {}) {
      const expiresAt = o.ttlMs === undefined ? undefined : Date.now() + checkTtlMs(o.ttlMs);
      const existing = live(key);
      if (o.ifAbsent && existing) return false;
      entries.set(key, { value, expiresAt });
      return true;
    },
    async del(key) {
      return live(key) !== undefined && entries.delete(key);
    },
    async getDel(key) {
      const e = live(key);
      if (!e) return null;
      if (e.leases) throw wrongType(key);
      entries.delete(key);
      return e.value;
    },
    async incr(key, o = {}) {
      const by = o.by ?? 1;
      if (!Number.isSafeInteger(by)) throw new RangeError(`incr by must be an integer, got ${by}`);
      const ttlMs = o.ttlMs === undefined ? undefined : checkTtlMs(o.ttlMs);
      const e = live(key);
      if (!e) {
        const expiresAt = ttlMs === undefined ? undefined : Date.now() + ttlMs;
        entries.set(key, { value: String(by), expiresAt });
        return by;
      }
      if (e.leases || !INTEGER.test(e.value)) throw new Error(`value at ${key} is not an integer`);
      const next = Number(e.value) + by;
      e.value = String(next);
      return next;
    },
    async pttl(key) {
      const e = live(key);
      if (!e) return -2;
      return e.expiresAt === undefined ? -1 : e.expiresAt - Date.now();
    },
    async expire(key, ttlMs) {
      const ms = checkTtlMs(ttlMs);
      const e = live(key);
      if (!e) return false;
      e.expiresAt = Date.now() + ms;
      return true;
    },
    async leaseAdd(key, member, ttlMs) {
      const at = Date.now() + checkTtlMs(ttlMs);
      let set = leases(key);
      if (!set) entries.set(key, { value: '', leases: (set = new Map()) });
      set.set(member, at);
      entries.get(key)!.expiresAt = leaseExpiry(set);
      return set.size;
    },
    async leaseRemove(key, member) {
      const set = leases(key);
      if (!set) return 0;
      set.delete(member);
      if (set.size === 0) {
        entries.delete(key);
        return 0;
      }
      entries.get(key)!.expiresAt = leaseExpiry(set);
      return set.size;
    },
    async leaseCount(key) {
      return leases(key)?.size ?? 0;
    },
    async ping() {
      if (closed) throw new Error('kv is closed');
    },
    async close() {
      closed = true;
      clearInterval(sweep);
      entries.clear();
    },
  };
}
