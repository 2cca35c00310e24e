import type { Kv } from './kv.js';

/**
 * At most `limit` events per id in a fixed window of `windowMs` (counted from the first),
 * on a kv counter, so every process sharing the kv shares the count. For throttles whose
 * state may be lost with an in-memory kv (a restart forgets them); lockouts that must
 * survive a restart live in SQL instead.
 */
export class WindowLimit {
  constructor(
    private readonly kv: Kv,
    private readonly name: string,
    private readonly limit: number,
    private readonly windowMs: number,
  ) {}

  /**
   * Counts one event for `id`. Returns undefined while within the limit, otherwise the
   * seconds until the window ends (for a retry-after).
   */
  async hit(id: string): Promise<number | undefined> {
    const key = `${this.name}:${id}`;
    const n = await this.kv.incr(key, { ttlMs: this.windowMs });
    if (n <= this.limit) return undefined;
    const left = await this.kv.pttl(key);
    return (left > 0 ? left : this.windowMs) / 1000;
  }
}
