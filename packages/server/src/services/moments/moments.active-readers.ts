import type { MomentsStore } from './moments.repository.js';

/**
 * Who of a post's audience read their feed lately (the fan-out writes pointers only for them),
 * with each reader's last read kept between posts: a reader's `active_at` only ever moves
 * forward (every feed read sets it to the time of the read, and no row is deleted), so a kept
 * time at or after the cut-off still says "active" and only the others are asked. At 20 posts
 * a second to 200 friends each the fan-out asked for 4 000 readers a second, one 200-id query
 * a post; once every reader has been met, it asks for those idle (or not met yet) only.
 */
export class ActiveReaders {
  /** Readers' last feed read as last read from the table, oldest kept first. */
  private readonly kept = new Map<string, number>();

  constructor(
    private readonly store: MomentsStore,
    /** Readers kept at most; beyond it the first kept go first. */
    private readonly maxEntries: number,
  ) {}

  /** How many readers are kept (for tests). */
  get size(): number {
    return this.kept.size;
  }

  /** Of `userIds`, those who read their feed at or after `since`. */
  async among(userIds: readonly string[], since: number): Promise<Set<string>> {
    const out = new Set<string>();
    const ask: string[] = [];
    for (const id of userIds) {
      const at = this.kept.get(id);
      if (at !== undefined && at >= since) out.add(id);
      else ask.push(id);
    }
    if (ask.length === 0) return out;
    const found = await this.store.people.activeAmong(ask, since);
    for (const [id, at] of found) {
      out.add(id);
      if (this.maxEntries === 0) continue;
      this.kept.delete(id);
      this.kept.set(id, at);
      if (this.kept.size > this.maxEntries) this.kept.delete(this.kept.keys().next().value!);
    }
    return out;
  }
}
