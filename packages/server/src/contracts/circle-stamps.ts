import { randomUUID } from 'node:crypto';
import type { Kv } from '../adapters/kv/kv.js';

/**
 * Change stamps of a person's circle, in the shared kv: a fresh random value written after
 * every committed change that alters it, so a service caching what it read (the moments
 * service keeps each viewer's friends, blocks and filters) can tell whether its copy is still
 * current with one kv read. The bus is at-most-once, so a cache must not rely on it; a stamp
 * is written before the changing call returns, and a read after it sees the new value.
 *
 * `graph`: written by contacts when a friendship or block relation of the user changes, or a
 * remark the user gives someone (how the user sees that person).
 * `filters`: written by moments when who hides their posts from the user, or whom the user
 * muted, changes.
 * `profile`: written by auth when the user's nickname or avatar changes, or the account goes.
 */
export type StampKind = 'graph' | 'filters' | 'profile';

const key = (kind: StampKind, userId: string) => `circle:${kind}:${userId}`;

/**
 * How long a stamp is kept. A cache must drop its copies well before (see
 * {@link STAMP_CACHE_MAX_AGE_MS}): a stamp that expired reads as "never changed" again.
 */
export const STAMP_TTL_MS = 86_400_000;
/** The longest a copy checked against a stamp may be kept, whatever the stamp says. */
export const STAMP_CACHE_MAX_AGE_MS = 300_000;

/** The value read when a person's circle has not changed for a day (or ever). */
export const NO_STAMP = '-';

/** Marks the circles of `userIds` as changed (after the change has committed). */
export async function touchCircles(kv: Kv, kind: StampKind, userIds: Iterable<string>): Promise<void> {
  await Promise.all(
    [...new Set(userIds)].map((id) => kv.set(key(kind, id), randomUUID(), { ttlMs: STAMP_TTL_MS })),
  );
}

/** The current stamp of one person's circle. */
export async function circleStamp(kv: Kv, kind: StampKind, userId: string): Promise<string> {
  return (await kv.get(key(kind, userId))) ?? NO_STAMP;
}

/** The current stamps of any (kind, person) pairs, in order, in one kv call. */
export async function stampsOf(kv: Kv, which: readonly (readonly [StampKind, string])[]): Promise<string[]> {
  if (which.length === 0) return [];
  const values = await kv.getMany(which.map(([kind, id]) => key(kind, id)));
  return values.map((v) => v ?? NO_STAMP);
}
