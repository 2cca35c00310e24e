/**
 * Time-ordered 64-bit ids (snowflake layout): 41 bits of milliseconds since
 * 2024-01-01T00:00:00Z, 10 bits of node id, 12 bits of sequence. Sortable by time,
 * unique across up to 1024 nodes, 4096 per node per millisecond. Carried as decimal
 * strings in the API (JSON cannot hold 64-bit integers exactly).
 */
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
