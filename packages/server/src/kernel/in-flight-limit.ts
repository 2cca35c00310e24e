/**
 * At most `limit` calls in flight per key in this process (a client IP's logins), so one
 * caller cannot fill a shared queue however fast it sends. Local on purpose: what it protects
 * (the password hasher's queue) is local too.
 */
export class InFlightLimit {
  private readonly counts = new Map<string, number>();

  constructor(private readonly limit: number) {}

  /** Takes a place for `key`; false (and nothing taken) when it already has `limit`. */
  enter(key: string): boolean {
    const n = this.counts.get(key) ?? 0;
    if (n >= this.limit) return false;
    this.counts.set(key, n + 1);
    return true;
  }

  /** Gives back a place taken by {@link enter}. */
  leave(key: string): void {
    const n = (this.counts.get(key) ?? 1) - 1;
    if (n <= 0) this.counts.delete(key);
    else this.counts.set(key, n);
  }
}
