import type { Kysely } from 'kysely';
import { preparedRows } from '../../adapters/sql/prepared.js';
import type { QueryRunner, SqlEngine } from '../../adapters/sql/sql.js';
import type { TimelineRow } from './moments.repository.js';
import type { MomentsTables } from './moments.tables.js';

/** Resolves in a later event-loop turn (setImmediate, or a test's hand). */
export type NextTurn = () => Promise<void>;

const realNextTurn: NextTurn = () => new Promise((resolve) => setImmediate(resolve));

/**
 * The rows of one statement for `n` pointers (at most `max`): the next power of two, or `max`
 * when that is smaller. A handful of statement shapes serve every post (each compiled once and
 * kept prepared by the driver, whose statement cache a shape per count would flood).
 */
export function rowsFor(n: number, max: number): number {
  return Math.min(max, 2 ** Math.ceil(Math.log2(Math.max(1, n))));
}

/**
 * The fan-out's timeline pointers: multi-row INSERTs that skip rows already there (a pull
 * may have written one), `batchSize` pointers a statement, compiled once per row count (see
 * preparedRows) instead of built by the query builder per post. A batch of fewer rows than a
 * shape repeats its last pointer to fill it (the repeats are skipped as already there): one
 * statement a batch, as before, where splitting a batch into powers of two made three
 * statements of a post's 200 pointers and cost more SQLite time than the building saved
 * (docs/performance.md). Each batch runs in an event-loop turn of its own, so a post's
 * fan-out never runs in the task of the publish that woke it.
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
    for (let i = 0; i < rows.length; i += this.batchSize) {
      const batch = rows.slice(i, i + this.batchSize);
      const last = batch[batch.length - 1]!;
      for (let k = rowsFor(batch.length, this.batchSize) - batch.length; k > 0; k--) batch.push(last);
      await this.nextTurn();
      await this.insert(this.db, batch);
    }
  }
}
