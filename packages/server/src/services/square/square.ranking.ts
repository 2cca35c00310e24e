import { errors } from '../../kernel/errors.js';
import { isId } from '../../kernel/ids.js';

/** Seconds per unit of the hot score's time term: 45 000 s (12.5 h) weigh as a factor of 10. */
const HOT_TIME_SCALE = 45_000;

/**
 * The hot score, stored x 1e6 as an integer: log10(max(1, likes + 2 x replies)) plus the
 * thread's creation time in units of 12.5 hours. It depends only on the thread's own counters
 * and creation time (never on "now"), so it is recomputed on each write, needs no background
 * job, and the same data always sorts the same way (ties by id).
 */
export function hotKey(likes: number, replies: number, createdAtMs: number): number {
  const score = Math.log10(Math.max(1, likes + 2 * replies)) + createdAtMs / 1000 / HOT_TIME_SCALE;
  return Math.round(score * 1e6);
}

/** A keyset position: the sort key and the id of the last item of a page. */
export interface Keyset {
  key: number;
  id: string;
}

export function encodeCursor(k: Keyset): string {
  return Buffer.from(`${k.key}:${k.id}`).toString('base64url');
}

/** Reads a cursor back; anything malformed is INVALID_ARGUMENT. */
export function decodeCursor(raw: string, field = 'cursor'): Keyset | undefined {
  if (!raw) return undefined;
  if (raw.length > 100) throw errors.invalidArgument('bad cursor', field);
  const [rawKey = '', id = '', ...rest] = Buffer.from(raw, 'base64url').toString().split(':');
  const key = /^-?[0-9]+$/.test(rawKey) ? Number(rawKey) : NaN;
  if (rest.length || !Number.isSafeInteger(key) || !isId(id))
    throw errors.invalidArgument('bad cursor', field);
  return { key, id };
}
