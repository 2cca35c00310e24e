import type { Kysely } from 'kysely';
import type { QueryRunner, SqlDatabase } from './sql.js';

/**
 * What only a hot path uses, kept off the generic {@link SqlDatabase} port: the SQLite
 * direct runner and the writers' own pool of the networked engines. A store that needs one
 * asks for it by name ({@link sqliteDirectOf}, {@link writePoolOf}); everything else sees
 * only the port. No driver is imported here, so any process may load it.
 */

/**
 * SQLite's one connection used directly, in turn with Kysely's queries (one lock): a
 * compiled query is a synchronous call into SQLite wrapped in one promise instead of
 * Kysely's chain of about ten. For the few statements every message runs; anything else
 * goes through Kysely.
 */
export interface SqliteDirect {
  /** Runs `fn`'s queries outside a transaction (each its own, as through Kysely). */
  read<T>(fn: (db: QueryRunner) => Promise<T>): Promise<T>;
  /**
   * Runs `fn`'s queries in one write transaction (BEGIN IMMEDIATE), committed if it
   * resolves; `tx` is a runner of this transaction only.
   */
  transaction<T>(fn: (tx: QueryRunner) => Promise<T>): Promise<T>;
  /**
   * SQLite's `data_version`: changes when another connection (another process) committed
   * since the last call, never for this connection's own commits.
   */
  dataVersion(): number;
}

interface HotPaths {
  /**
   * The same database through a pool of its own (two connections) for group-commit
   * writers: their transactions never queue behind the many reads of a busy process.
   */
  writeDb?: Kysely<any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  /** SQLite: compiled queries run on its connection without Kysely's layers. */
  direct?: SqliteDirect;
}

const hotPaths = new WeakMap<SqlDatabase, HotPaths>();

/** For the engine adapters: records what `sql`'s hot paths may use; returns `sql`. */
export function withHotPaths<T extends SqlDatabase>(sql: T, paths: HotPaths): T {
  hotPaths.set(sql, paths);
  return sql;
}

/** SQLite's direct runner of `sql`; undefined on the other engines. */
export function sqliteDirectOf(sql: SqlDatabase): SqliteDirect | undefined {
  return hotPaths.get(sql)?.direct;
}

/** The writers' own pool of `sql`; `sql.db` itself where there is none (SQLite: one connection). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function writePoolOf(sql: SqlDatabase): Kysely<any> {
  return hotPaths.get(sql)?.writeDb ?? sql.db;
}
