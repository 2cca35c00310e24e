/** How a {@link ReadBudget} refills. */
export interface ReadBudgetOptions {
  /** Reads per second a user gets back. */
  ratePerSecond: number;
  /** Reads a user may make at once (the bucket's size). */
  burst: number;
  /** Monotonic time, ms. */
  now(): number;
}

interface Bucket {
  tokens: number;
  at: number;
}

/** Below this many users the table is never pruned (pruning costs a pass over it). */
const PRUNE_FLOOR = 1_024;

/**
 * One token bucket per user for the reads a client can repeat at will (sync, history,
 * ping): shared by all of the user's sockets and HTTP calls on this gateway, so opening more
 * sockets buys no more reads. Held in memory: a read costs no I/O, and each gateway process
 * keeps its own budget (a user spread over N gateways gets N budgets).
 */
export class ReadBudget {
  private readonly buckets = new Map<string, Bucket>();
  private pruneAt = PRUNE_FLOOR;

  constructor(private readonly o: ReadBudgetOptions) {}

  /** Users with a bucket that is not full (tests and the metric). */
  get size(): number {
    return this.buckets.size;
  }

  /**
   * Spends one read of `userId`'s budget. Returns 0 when the read may go ahead, else the
   * whole seconds (at least 1) until one is back, for RATE_LIMITED's retry_after_seconds.
   */
  take(userId: string): number {
    const t = this.o.now();
    let b = this.buckets.get(userId);
    if (b) {
      b.tokens = Math.min(this.o.burst, b.tokens + ((t - b.at) * this.o.ratePerSecond) / 1000);
      b.at = t;
    } else {
      if (this.buckets.size >= this.pruneAt) this.prune(t);
      b = { tokens: this.o.burst, at: t };
      this.buckets.set(userId, b);
    }
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - b.tokens) / this.o.ratePerSecond));
  }

  /**
   * Drops the buckets that have refilled (a new one would be the same), so the table holds
   * only users who read recently; the next prune waits until the table has doubled again.
   */
  private prune(t: number): void {
    for (const [userId, b] of this.buckets) {
      if (b.tokens + ((t - b.at) * this.o.ratePerSecond) / 1000 >= this.o.burst) this.buckets.delete(userId);
    }
    this.pruneAt = Math.max(PRUNE_FLOOR, this.buckets.size * 2);
  }
}
