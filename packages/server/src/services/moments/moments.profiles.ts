import type { Kv } from '../../adapters/kv/kv.js';
import { STAMP_CACHE_MAX_AGE_MS, stampsOf } from '../../contracts/circle-stamps.js';
import type { Clock } from '../../kernel/clock.js';
import type { Actor, Contacts, Person } from './moments.peers.js';

export interface ProfilesDeps {
  contacts: Contacts;
  kv: Kv;
  clock: Clock;
  /**
   * (Viewer, person) profiles kept in memory at most, over all viewers: when more are kept, the
   * viewers read least recently are dropped whole.
   */
  maxEntries: number;
}

/** People one viewer keeps at most (the first kept go first); a page names a few dozen. */
export const PEOPLE_PER_VIEWER = 5_000;
/**
 * Most people asked for beyond those an answer names when it misses any: the viewer's likely
 * people (their friends) not kept yet, so a viewer's first reads fill their copy in one lookup.
 */
export const PREFETCH_MAX = 500;

interface Entry {
  /** Null: no such account (left out of answers, as contacts leaves it out). */
  person: Person | null;
  profile: string;
  at: number;
}

/** What one viewer keeps: the people, as of the viewer's `graph` stamp. */
interface Viewer {
  graph: string;
  people: Map<string, Entry>;
}

/**
 * The profiles of the people an answer names (nickname, avatar, the viewer's remark), as each
 * viewer sees them, kept between reads instead of asking contacts (and through it auth) on
 * every read. Kept per viewer (one map of people each, so a read touches one viewer's entry,
 * and a viewer read again keeps all of their people). A copy is used only while the person's
 * `profile` stamp (auth writes it when a nickname or avatar changes or an account goes) and the
 * viewer's `graph` stamp (contacts writes it when a friendship, block or remark of theirs
 * changes) read as they did before the copy was read, and never longer than
 * {@link STAMP_CACHE_MAX_AGE_MS}.
 */
export class Profiles {
  /** Viewers, least recently read first. */
  private readonly viewers = new Map<string, Viewer>();
  /** People kept over all viewers. */
  private kept = 0;

  constructor(private readonly d: ProfilesDeps) {}

  /** How many (viewer, person) profiles are kept (for tests and metrics). */
  get size(): number {
    return this.kept;
  }

  /**
   * The people `ids` as the viewer sees them. `likely` (the viewer's friends: nearly everyone a
   * feed names is one) are asked for too, when any of `ids` is missing and they are not kept
   * yet (at most {@link PREFETCH_MAX}): a feed's pages name a few new people each, and without
   * this each page asked contacts again; with it a viewer's copy is filled in one lookup. They
   * are kept under the same stamps, read before the lookup, as the people named.
   */
  async of(actor: Actor, ids: Iterable<string>, likely: Iterable<string> = []): Promise<Map<string, Person>> {
    const me = actor.userId;
    const all = [...new Set(ids)];
    // The viewer's graph stamp and everyone's profile stamp, in one kv call.
    const [graph, ...profiles] = (await stampsOf(this.d.kv, [
      ['graph', me],
      ...all.map((id) => ['profile', id] as const),
    ])) as [string, ...string[]];
    const now = this.d.clock.now();
    let v = this.viewers.get(me);
    if (v && v.graph !== graph) {
      this.forget(me, v);
      v = undefined;
    }
    const out = new Map<string, Person>();
    const missing: number[] = [];
    all.forEach((id, i) => {
      const hit = v?.people.get(id);
      if (hit && hit.profile === profiles[i] && now - hit.at < STAMP_CACHE_MAX_AGE_MS) {
        if (hit.person) out.set(id, hit.person);
      } else missing.push(i);
    });
    if (v) {
      // Read again: now the most recently read viewer.
      this.viewers.delete(me);
      this.viewers.set(me, v);
    }
    if (missing.length === 0) return out;
    const extra = this.d.maxEntries === 0 ? [] : this.notKept(v, all, likely);
    const extraStamps = await stampsOf(
      this.d.kv,
      extra.map((id) => ['profile', id] as const),
    );
    // Stamped with the values read before the profiles: a change landing meanwhile is missed
    // by this copy but moves its stamp, so the next read asks again.
    const found = await this.d.contacts.people(
      me,
      [...missing.map((i) => all[i]!), ...extra],
      actor.requestId,
    );
    const kept = this.viewerFor(me, graph);
    for (const i of missing) {
      const id = all[i]!;
      const person = found.get(id) ?? null;
      if (kept) this.keep(kept, id, { person, profile: profiles[i]!, at: now });
      if (person) out.set(id, person);
    }
    if (kept)
      extra.forEach((id, i) =>
        this.keep(kept, id, { person: found.get(id) ?? null, profile: extraStamps[i]!, at: now }),
      );
    this.trim();
    return new Map(all.flatMap((id) => (out.has(id) ? [[id, out.get(id)!] as const] : [])));
  }

  /** Up to {@link PREFETCH_MAX} of `likely` that are neither kept for the viewer nor in `named`. */
  private notKept(v: Viewer | undefined, named: readonly string[], likely: Iterable<string>): string[] {
    const skip = new Set(named);
    const out: string[] = [];
    for (const id of likely) {
      if (out.length === PREFETCH_MAX) break;
      if (!skip.has(id) && !v?.people.has(id)) out.push(id);
    }
    return out;
  }

  /** The viewer's entry at `graph` (a new one when none or another graph is kept). */
  private viewerFor(me: string, graph: string): Viewer | undefined {
    if (this.d.maxEntries === 0) return undefined;
    const v = this.viewers.get(me);
    // Another read of this viewer may have kept a newer or older graph meanwhile: either way
    // start again at the graph this read saw.
    if (v?.graph === graph) return v;
    if (v) this.forget(me, v);
    const fresh: Viewer = { graph, people: new Map() };
    this.viewers.set(me, fresh);
    return fresh;
  }

  private keep(v: Viewer, id: string, e: Entry): void {
    if (!v.people.has(id)) this.kept++;
    v.people.set(id, e);
    if (v.people.size > PEOPLE_PER_VIEWER) {
      v.people.delete(v.people.keys().next().value!);
      this.kept--;
    }
  }

  private forget(me: string, v: Viewer): void {
    this.viewers.delete(me);
    this.kept -= v.people.size;
  }

  /** Drops the viewers read least recently while more than the bound are kept. */
  private trim(): void {
    while (this.kept > this.d.maxEntries) {
      const [me, v] = this.viewers.entries().next().value!;
      this.forget(me, v);
    }
  }
}
