import type { CompiledQuery, Kysely, Migration, QueryResult } from 'kysely';

/** The SQL engines MyChat runs on. */
export type SqlEngine = 'sqlite' | 'mysql' | 'postgres';

/**
 * The sql port: one Kysely instance on the configured engine.
 *
 * Integer columns read back differently per engine (SQLite gives bigint, PostgreSQL a
 * string for BIGINT, MySQL a string or number): repositories map every row with
 * {@link asId}, {@link asNum} and {@link asBool} instead of trusting the driver's type.
 * Ids are BIGINT columns holding snowflake ids and travel through the code as strings;
 * times are BIGINT epoch milliseconds.
 */
export interface SqlDatabase {
  readonly engine: SqlEngine;
  /** The query builder. Each service narrows it to its own tables: `sql.db as Kysely<MyTables>`. */
  readonly db: Kysely<any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  /**
   * Runs a service's migrations (written once with Kysely's schema builder) to the latest,
   * tracked in its own table `<owner>_migrations`, so services migrate independently.
   */
  migrate(owner: string, migrations: Record<string, Migration>): Promise<void>;
  /** Round-trips a trivial query. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** What runs a compiled query: a Kysely instance or transaction, or SQLite's direct runner (hot-path.ts). */
export interface QueryRunner {
  executeQuery<R>(query: CompiledQuery<R>): Promise<QueryResult<R>>;
}

/** A BIGINT id as read from any engine, as the decimal string the code uses. */
export function asId(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'bigint' || typeof v === 'number') return v.toString();
  throw new TypeError(`not an id: ${typeof v}`);
}

/** An integer column (count, seq, epoch ms) as a number. */
export function asNum(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint' || typeof v === 'string') return Number(v);
  if (v === null || v === undefined) return 0;
  throw new TypeError(`not a number: ${typeof v}`);
}

/** A boolean column (SQLite and MySQL store 0/1). */
export function asBool(v: unknown): boolean {
  if (typeof v === 'boolean') return v;
  return Number(v) !== 0;
}

/** SQLSTATE / driver codes that mean "a UNIQUE or PRIMARY KEY constraint rejected the row". */
const UNIQUE_CODES = new Set([
  '23505', // PostgreSQL unique_violation (also primary keys)
  'ER_DUP_ENTRY', // MySQL/MariaDB 1062 (also primary keys)
  'SQLITE_CONSTRAINT_UNIQUE',
  'SQLITE_CONSTRAINT_PRIMARYKEY',
]);

/**
 * Whether `err` is a unique-constraint violation on any engine, so a service can turn a
 * duplicate insert (an idempotent retry, a taken name) into its own answer. Follows
 * `cause` chains because callers often wrap driver errors.
 */
export function isUniqueViolation(err: unknown): boolean {
  for (let e = err, depth = 0; e && typeof e === 'object' && depth < 5; depth++) {
    const { code, errno } = e as { code?: unknown; errno?: unknown };
    if (typeof code === 'string' && UNIQUE_CODES.has(code)) return true;
    // mysql2 always sets `code`, but a proxy or another driver may only give the number.
    if (errno === 1062 && code === undefined) return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}
