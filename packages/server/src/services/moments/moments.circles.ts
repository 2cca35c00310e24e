import type { Kv } from '../../adapters/kv/kv.js';
import { STAMP_CACHE_MAX_AGE_MS, stampsOf, touchCircles } from '../../contracts/circle-stamps.js';
import type { Clock } from '../../kernel/clock.js';
import type { Actor, Contacts } from './moments.peers.js';
import { FILTER_HIDE_FROM, FILTER_MUTE } from './moments.people.repository.js';
import type { MomentsStore } from './moments.repository.js';
import type { Circle } from './moments.visibility.js';

export interface CirclesDeps {
  store: MomentsStore;
  contacts: Contacts;
  kv: Kv;
  clock: Clock;
  /** Viewers whose circle is kept in memory at most (the least recently read go first). */
  maxEntries: number;
}

interface Entry {
  graph: string;
  filters: string;
  at: number;
  circle: Circle;
}

/**
 * Each viewer's circle (friends, who hides from them, whom they muted), read on every feed
 * read and kept here between reads. A copy is used only while the viewer's two change stamps
 * in the shared kv (contacts writes `graph` after a friendship or block changes, moments
 * writes `filters` after a hide or mute changes) still read as they did before the copy was
 * read, and never longer than {@link STAMP_CACHE_MAX_AGE_MS}: an unfriend, a block or a new
 * filter that has returned to its caller is seen by the next read in every process.
 */
export class Circles {
  private readonly cache = new Map<string, Entry>();

  constructor(private readonly d: CirclesDeps) {}

  /**
   * The viewer's circle, with which of `check` are in a block relation with them. A friend
   * never is (the friend list leaves them out), so a check of friends only is answered from
   * the kept copy; anyone else in `check` makes it ask contacts.
   */
  async of(actor: Actor, check: readonly string[] = []): Promise<Circle> {
    const circle = await this.kept(actor);
    const me = actor.userId;
    return check.every((id) => id === me || circle.friends.has(id)) ? circle : this.read(actor, check);
  }

  private async kept(actor: Actor): Promise<Circle> {
    const me = actor.userId;
    const [graph, filters] = (await stampsOf(this.d.kv, [
      ['graph', me],
      ['filters', me],
    ])) as [string, string];
    const now = this.d.clock.now();
    const hit = this.cache.get(me);
    if (hit && hit.graph === graph && hit.filters === filters && now - hit.at < STAMP_CACHE_MAX_AGE_MS) {
      this.cache.delete(me);
      this.cache.set(me, hit);
      return hit.circle;
    }
    // Stamped with the values read before the circle: a change landing meanwhile is missed by
    // this copy but moves its stamp, so the next read reads again.
    const circle = await this.read(actor, []);
    this.cache.delete(me);
    this.cache.set(me, { graph, filters, at: now, circle });
    if (this.cache.size > this.d.maxEntries) this.cache.delete(this.cache.keys().next().value!);
    return circle;
  }

  /** Marks circles as changed by a hide or mute (after it has committed). */
  filtersChanged(userIds: Iterable<string>): Promise<void> {
    return touchCircles(this.d.kv, 'filters', userIds);
  }

  private async read(actor: Actor, check: readonly string[]): Promise<Circle> {
    const { people } = this.d.store;
    const [graph, hiddenBy, muted] = await Promise.all([
      this.d.contacts.graph(actor.userId, check, actor.requestId),
      people.filteredBy(actor.userId, FILTER_HIDE_FROM),
      people.filters(actor.userId, FILTER_MUTE),
    ]);
    return {
      viewerId: actor.userId,
      friends: graph.friends,
      blocked: graph.blocked,
      hiddenBy,
      muted: new Set(muted),
    };
  }
}
