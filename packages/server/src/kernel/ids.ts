/**
 * Time-ordered 64-bit ids (snowflake layout): 41 bits of milliseconds since
 * 2024-01-01T00:00:00Z, 10 bits of node id, 12 bits of sequence. Sortable by time,
 * unique across up to 1024 nodes, 4096 per node per millisecond. Carried as decimal
 * strings in the API (JSON cannot hold 64-bit integers exactly).
 */
import { errors } from './errors.js';

export const ID_EPOCH_MS = Date.UTC(2024, 0, 1);

export interface IdGenerator {
  /** A new id as a decimal string. */
  next(): string;
}

export function createIdGenerator(nodeId: number, now: () => number = Date.now): IdGenerator {
  if (!Number.isInteger(nodeId) || nodeId < 0 || nodeId > 1023) {
    throw new RangeError(`node id must be an integer in 0..1023, got ${nodeId}`);
  }
  let lastMs = -1;
  let seq = 0;
  const node = BigInt(nodeId);
  return {
    next() {
      let ms = now() - ID_EPOCH_MS;
      // A clock that steps back must never produce a smaller (or repeated) id.
      if (ms < lastMs) ms = lastMs;
      if (ms === lastMs) {
        seq = (seq + 1) & 0xfff;
        if (seq === 0) ms = ++lastMs; // sequence exhausted: borrow the next millisecond
      } else {
        seq = 0;
      }
      lastMs = ms;
      return ((BigInt(ms) << 22n) | (node << 12n) | BigInt(seq)).toString();
    },
  };
}

/** The creation time encoded in an id. */
export function idTime(id: string): number {
  return Number(BigInt(id) >> 22n) + ID_EPOCH_MS;
}

/** The largest id a BIGINT column holds (2^63 - 1). */
export const ID_MAX = 9_223_372_036_854_775_807n;

/**
 * Whether `raw` is an id as the server issues it: canonical decimal (no sign, no leading
 * zero, so one id has one spelling in keys and caches) in 1..{@link ID_MAX}. The length test
 * comes first so a megabyte of digits never reaches BigInt.
 */
export function isId(raw: unknown): raw is string {
  return typeof raw === 'string' && /^[1-9][0-9]{0,18}$/.test(raw) && BigInt(raw) <= ID_MAX;
}

/**
 * An id field of a request, checked at the edge (`*.rpc.ts`, HTTP handlers): the value as
 * given, or INVALID_ARGUMENT naming the field. Services trust what their edge parsed.
 */
export function parseId(raw: unknown, field: string): string {
  if (!isId(raw)) throw errors.invalidArgument(`${field} must be a numeric id`, field);
  return raw;
}
