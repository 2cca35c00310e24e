/**
 * The kv port: short-lived shared state (verification codes, rate-limit counters,
 * revoked sessions, presence). Values are strings. Every write that can leak must
 * carry a TTL. Implementations: memory (one process) and Redis (shared).
 * Keys are namespaced by the caller (`auth:code:...`); the adapter adds the
 * configured global prefix so several deployments or test runs can share one Redis.
 */
export interface Kv {
  get(key: string): Promise<string | null>;
  /**
   * Several values at once, in the order of `keys` (null where a key is missing): one round
   * trip on Redis (MGET), one call on memory, instead of one promise per key.
   */
  getMany(keys: readonly string[]): Promise<(string | null)[]>;
  /**
   * Sets a value. With `ttlMs` it expires; with `ifAbsent` it is written only when
   * the key does not exist, and the result says whether it was written.
   */
  set(key: string, value: string, opts?: { ttlMs?: number; ifAbsent?: boolean }): Promise<boolean>;
  /** Deletes a key; true when it existed. */
  del(key: string): Promise<boolean>;
  /** Reads and deletes in one step (single use). */
  getDel(key: string): Promise<string | null>;
  /**
   * Atomically adds `by` (default 1) to an integer counter and returns the new value.
   * When the counter is created by this call and `ttlMs` is given, it expires after
   * `ttlMs` (a fixed window); later calls never extend it.
   */
  incr(key: string, opts?: { by?: number; ttlMs?: number }): Promise<number>;
  /** Remaining time to live in ms; -1 when the key has no TTL, -2 when it does not exist. */
  pttl(key: string): Promise<number>;
  /** Sets a TTL on an existing key; false when it does not exist. */
  expire(key: string, ttlMs: number): Promise<boolean>;
  /**
   * Lease sets: a key holding members that expire one by one (presence: the gateways
   * holding a user). Adds `member`, or renews it, for `ttlMs` and returns how many members
   * are live. A member nobody renews drops out by itself, so the holder of a lease can die
   * without leaving it behind. The key expires with its last live member.
   */
  leaseAdd(key: string, member: string, ttlMs: number): Promise<number>;
  /** Removes a member from a lease set; returns how many live members remain. */
  leaseRemove(key: string, member: string): Promise<number>;
  /** How many live members a lease set has (0 when the key does not exist). */
  leaseCount(key: string): Promise<number>;
  /** Resolves when the store answers (readiness); rejects when it is unreachable. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Validates a TTL the same way on every backend and rounds it up to whole milliseconds
 * (Redis only takes integers), so a caller's mistake fails in tests on memory too.
 */
export function checkTtlMs(ttlMs: number): number {
  if (!Number.isFinite(ttlMs) || ttlMs <= 0)
    throw new RangeError(`ttlMs must be a positive number, got ${ttlMs}`);
  return Math.ceil(ttlMs);
}
