import type { Kv } from '../../adapters/kv/kv.js';
import { circleStamp, circleStamps, STAMP_CACHE_MAX_AGE_MS } from '../../contracts/circle-stamps.js';
import type { Clock } from '../../kernel/clock.js';
import type { Actor, Contacts, Person } from './moments.peers.js';

export interface ProfilesDeps {
  contacts: Contacts;
  kv: Kv;
  clock: Clock;
  /** (viewer, person) pairs kept in memory at most (the least recently read go first). */
  maxEntries: number;
}

interface Entry {
  /** Null: no such account (left out of answers, as contacts leaves it out). */
  person: Person | null;
  profile: string;
  graph: string;
  at: number;
}

/**
 * The profiles of the people an answer names (nickname, avatar, the viewer's remark), as each
 * viewer sees them, kept between reads instead of asking contacts (and through it auth) on
 * every read. A copy is used only while the person's `profile` stamp (auth writes it when a
 * nickname or avatar changes or an account goes) and the viewer's `graph` stamp (contacts
 * writes it when a friendship, block or remark of theirs changes) read as they did before the
 * copy was read, and never longer than {@link STAMP_CACHE_MAX_AGE_MS}.
 */
export class Profiles {
  private readonly cache = new Map<string, Entry>();

  constructor(private readonly d: ProfilesDeps) {}

  async of(actor: Actor, ids: Iterable<string>): Promise<Map<string, Person>> {
    const me = actor.userId;
    const all = [...new Set(ids)];
    const [graph, profiles] = await Promise.all([
      circleStamp(this.d.kv, 'graph', me),
      circleStamps(this.d.kv, 'profile', all),
    ]);
    const now = this.d.clock.now();
    const out = new Map<string, Person>();
    const missing: number[] = [];
    all.forEach((id, i) => {
      const hit = this.cache.get(`${me}:${id}`);
      if (
        hit &&
        hit.graph === graph &&
        hit.profile === profiles[i] &&
        now - hit.at < STAMP_CACHE_MAX_AGE_MS
      ) {
        this.cache.delete(`${me}:${id}`);
        this.cache.set(`${me}:${id}`, hit);
        if (hit.person) out.set(id, hit.person);
      } else missing.push(i);
    });
    if (missing.length === 0) return out;
    // Stamped with the values read before the profiles: a change landing meanwhile is missed
    // by this copy but moves its stamp, so the next read asks again.
    const found = await this.d.contacts.people(
      me,
      missing.map((i) => all[i]!),
      actor.requestId,
    );
    for (const i of missing) {
      const id = all[i]!;
      const person = found.get(id) ?? null;
      this.keep(`${me}:${id}`, { person, graph, profile: profiles[i]!, at: now });
      if (person) out.set(id, person);
    }
    return new Map(all.flatMap((id) => (out.has(id) ? [[id, out.get(id)!] as const] : [])));
  }

  private keep(key: string, e: Entry): void {
    if (this.d.maxEntries === 0) return;
    this.cache.delete(key);
    this.cache.set(key, e);
    if (this.cache.size > this.d.maxEntries) this.cache.delete(this.cache.keys().next().value!);
  }
}
