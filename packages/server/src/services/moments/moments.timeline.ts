import type { Clock } from '../../kernel/clock.js';
import { fillPage, type Feed } from './moments.feed.js';
import type { Actor } from './moments.peers.js';
import type { ReaderRow } from './moments.people.repository.js';
import type { MomentsStore, TimelineRow } from './moments.repository.js';
import type { Page } from './moments.service.js';
import type { Circle } from './moments.visibility.js';

const DAY = 86_400_000;
/** A read refreshes its reader's `active_at` at most this often (one write per hour, not per read). */
const ACTIVE_REFRESH_MS = 3_600_000;
/** Friendships this close before the last pull are pulled again (clocks of two processes differ). */
const PULL_MARGIN_MS = 10_000;

export interface TimelineDeps {
  store: MomentsStore;
  feed: Feed;
  clock: Clock;
  /** Readers idle this long get no fan-out; they pull when they come back. */
  activeDays: number;
  /** Most posts one pull adds to a feed. */
  pullLimit: number;
  /** Readers whose last read and pull times are kept between reads at most. */
  maxReaders: number;
}

/** How long a kept reader row is used before it is read again (another process may read too). */
const READER_MAX_AGE_MS = 300_000;

/**
 * The feed: the viewer's own posts and their friends' they may see, newest first. Push and
 * pull: the fan-out worker writes pointers for active readers; a reader it skipped (idle for
 * `activeDays`, or reading for the first time) and a reader with new friends fill their feed
 * by pulling from those friends' albums when they read. Every pointer is checked again on
 * read, so unfriending, blocking, "don't show me" and narrower audiences or windows hide a post
 * at once; pointers to deleted posts are dropped as they are met.
 */
export class Timeline {
  /**
   * Each reader's row as this process last wrote or read it. Only when to pull depends on it,
   * never who sees what: a copy older than the row (another process wrote since) pulls again,
   * and a pull adds only pointers that are checked on read like any other.
   */
  private readonly readers = new Map<string, { row: ReaderRow | undefined; at: number }>();

  constructor(private readonly d: TimelineDeps) {}

  async page(actor: Actor, cursor: string, limit: number): Promise<Page> {
    const { store, feed } = this.d;
    const me = actor.userId;
    const started = this.d.clock.now();
    const circle = await feed.circle(actor);
    if (!cursor) await this.pullIfNeeded(me, circle, started);
    const now = this.d.clock.now();
    const { seen, nextCursor } = await fillPage(
      cursor,
      limit,
      (before, n) => store.posts.heads(me, before, n),
      (r) => r.momentId,
      async (rows) => {
        const shown = rows.filter((r) => this.followed(r, circle));
        const parts = await feed.partsOfHeads(shown);
        const gone = shown.filter((r) => !parts.has(r.momentId)).map((r) => r.momentId);
        if (gone.length) await store.posts.dropPointers(me, gone);
        const judged = new Map(
          (await feed.judgeParts([...parts.values()], circle, now)).map((s) => [s.post.id, s] as const),
        );
        // A friend's post seen through the feed: never as a stranger.
        return rows.map((r) => {
          const s = judged.get(r.momentId);
          return s && s.access !== 'stranger' && this.followed(r, circle) ? s : undefined;
        });
      },
    );
    return { ...(await feed.present(actor, circle, seen)), nextCursor };
  }

  /** Whose pointers the feed shows at all: the viewer's own and unmuted friends'. */
  private followed(r: TimelineRow, c: Circle): boolean {
    return r.authorId === c.viewerId || (c.friends.has(r.authorId) && !c.muted.has(r.authorId));
  }

  /**
   * Fills the feed from friends' albums where the fan-out may have skipped it: everything
   * since the reader went idle (or everything recent on a first read), and every post of
   * friends made since the last pull. Pointers already there are kept.
   */
  private async pullIfNeeded(me: string, circle: Circle, now: number): Promise<void> {
    const { store } = this.d;
    const reader = await this.reader(me, now);
    const idleMs = this.d.activeDays * DAY;
    const rows: TimelineRow[] = [];
    const friends = [...circle.friends.keys()];
    let pulled = false;
    if (!reader || reader.activeAt < now - idleMs) {
      // The fan-out skipped this reader from `activeAt + idleMs` on (a day of slack for its lag).
      const since = reader && reader.activeAt > 0 ? reader.activeAt + idleMs - DAY : 0;
      const recent = await store.posts.recentOf([me, ...friends], since, this.d.pullLimit);
      for (const p of recent) rows.push({ viewerId: me, momentId: p.id, authorId: p.authorId });
      pulled = true;
    } else {
      const fresh = friends.filter((f) => circle.friends.get(f)! > reader.pulledAt - PULL_MARGIN_MS);
      if (fresh.length) {
        const recent = await store.posts.recentOf(fresh, 0, this.d.pullLimit);
        for (const p of recent) rows.push({ viewerId: me, momentId: p.id, authorId: p.authorId });
        pulled = true;
      }
    }
    if (rows.length) await store.posts.addPointers(rows);
    if (pulled || !reader || now - reader.activeAt > ACTIVE_REFRESH_MS) {
      await store.people.touch(me, now, pulled ? now : undefined);
      // The row as written (an existing notices mark is not used here).
      const row = { userId: me, activeAt: now, pulledAt: pulled ? now : (reader?.pulledAt ?? 0) };
      this.keep(me, { noticesReadId: reader?.noticesReadId ?? '0', ...row }, now);
    }
  }

  private async reader(me: string, now: number): Promise<ReaderRow | undefined> {
    const kept = this.readers.get(me);
    if (kept && now - kept.at < READER_MAX_AGE_MS) return kept.row;
    const row = await this.d.store.people.reader(me);
    this.keep(me, row, now);
    return row;
  }

  private keep(me: string, row: ReaderRow | undefined, now: number): void {
    this.readers.delete(me);
    this.readers.set(me, { row, at: now });
    if (this.readers.size > this.d.maxReaders) this.readers.delete(this.readers.keys().next().value!);
  }
}
