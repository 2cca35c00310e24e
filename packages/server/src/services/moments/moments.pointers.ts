import type { Kysely } from 'kysely';
import { preparedRows } from '../../adapters/sql/prepared.js';
import type { QueryRunner, SqlEngine } from '../../adapters/sql/sql.js';
import type { TimelineRow } from './moments.repository.js';
import type { MomentsTables } from './moments.tables.js';

/** Resolves in a later event-loop turn (setImmediate, or a test's hand). */
export type NextTurn = () => Promise<void>;

const realNextTurn: NextTurn = () => new Promise((resolve) => setImmediate(resolve));

/**
 * `items` in slices of `max`, the rest in powers of two below it: a statement compiled once
 * per slice length serves every post with a handful of shapes.
 */
export function* rowParts<T>(items: readonly T[], max: number): Generator<readonly T[]> {
  let i = 0;
  for (; items.length - i >= max; i += max) yield items.slice(i, i + max);
  for (let n = 2 ** Math.floor(Math.log2(max)); n >= 1; n >>= 1)
    for (; items.length - i >= n; i += n) yield items.slice(i, i + n);
}

/**
 * The fan-out's timeline pointers: multi-row INSERTs that skip rows already there (a pull
 * may have written one), each compiled once per row count (see preparedRows) instead of
 * built by the query builder per post (a 200-row INSERT was ~2.7 ms of the event loop a
 * post at 20 posts a second, about half of it building and preparing its SQL: see
 * docs/performance.md). Each statement runs in an event-loop turn of its own, so a post's
 * fan-out never runs in the task of the publish that woke it, nor in one piece.
 */
export class PointerWriter {
  private readonly insert: (db: QueryRunner, rows: readonly TimelineRow[]) => Promise<unknown>;

  constructor(
    private readonly db: Kysely<MomentsTables>,
    engine: SqlEngine,
    /** Pointers per INSERT at most (`moments.fanoutBatchSize`). */
    private readonly batchSize: number,
    private readonly nextTurn: NextTurn = realNextTurn,
  ) {
    if (!Number.isInteger(batchSize) || batchSize < 1)
      throw new Error(`batchSize must be a positive integer, got ${batchSize}`);
    this.insert = preparedRows<TimelineRow>(
      { viewer_id: (r) => r.viewerId, moment_id: (r) => r.momentId, author_id: (r) => r.authorId },
      (values) => {
        const q = db.insertInto('moments_timeline').values(values as MomentsTables['moments_timeline'][]);
        return engine === 'mysql' ? q.ignore() : q.onConflict((oc) => oc.doNothing());
      },
    );
  }

  /** Writes the pointers (those already there are left as they are); resolves when all are. */
  async write(rows: readonly TimelineRow[]): Promise<void> {
    for (const part of rowParts(rows, this.batchSize)) {
      await this.nextTurn();
      await this.insert(this.db, part);
    }
  }
}
