import { closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import {
  Kysely,
  SqliteDialect,
  type CompiledQuery,
  type DatabaseConnection,
  type Driver,
  type QueryResult,
  type SqliteDatabase as KyselySqliteDatabase,
} from 'kysely';
import type { Logger } from 'pino';
import { kyselyDatabase } from './kysely-database.js';
import { SqliteCheckpointer } from './sqlite-checkpointer.js';
import { withHotPaths, type SqliteDirect } from './hot-path.js';
import type { QueryRunner, SqlDatabase } from './sql.js';

/** How long a writer waits for another process's lock before SQLITE_BUSY. */
const BUSY_TIMEOUT_MS = 5000;

/** SQLite's page cache, KiB (allocated as pages are read). */
const CACHE_KIB = 65_536;
/** How much of the database file SQLite reads through a memory map, bytes. */
const MMAP_BYTES = 1024 * 1024 * 1024;

/** Prepared statements kept per connection (queries with IN lists vary, so it is bounded). */
const STATEMENT_CACHE_SIZE = 500;

/**
 * Opens SQLite at `path` (`:memory:` for a private in-memory database), creating parent
 * directories. One connection per process: Kysely serializes queries and transactions on it.
 */
export async function openSqliteSql(
  path: string,
  logger: Logger,
  opts: { synchronous?: 'normal' | 'full' } = {},
): Promise<SqlDatabase> {
  const memory = path === ':memory:';
  if (!memory) {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    // SQLite creates a database 0644 (less the umask) and gives its -wal and -shm the mode of
    // the database, so creating the empty file private first keeps all three private.
    closeSync(openSync(path, 'a', 0o600));
  }
  const raw = new Database(path);
  try {
    // WAL lets readers in other processes (backup, `mychat migrate`) run beside the server.
    if (!memory) raw.pragma('journal_mode = WAL');
    raw.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    raw.pragma('foreign_keys = ON');
    // NORMAL in WAL mode: a commit survives the process being killed (it is in the WAL, handed
    // to the OS); only a power loss or OS crash may lose the last commits. FULL also fsyncs
    // every commit, which blocks the event loop for each one.
    raw.pragma(`synchronous = ${opts.synchronous === 'full' ? 'FULL' : 'NORMAL'}`);
    // The default page cache is 2 MiB: once the messages outgrow it every query read its pages
    // with system calls (a primary-key lookup took 0.1-0.4 ms under load). A 64 MiB cache,
    // and reads straight from the memory-mapped file (the OS page cache) beyond it.
    raw.pragma(`cache_size = -${CACHE_KIB}`);
    if (!memory) raw.pragma(`mmap_size = ${MMAP_BYTES}`);
    // Snowflake ids exceed 2^53: read every INTEGER as bigint so none loses precision.
    raw.defaultSafeIntegers(true);
  } catch (err) {
    raw.close();
    throw err;
  }
  const database = portable(raw);
  const lock = new FifoLock();
  const db = new Kysely({ dialect: new FairSqliteDialect({ database }, lock) });
  const checkpointer = memory
    ? undefined
    : new SqliteCheckpointer(raw, path, (fn) => lock.exclusive(fn), logger);
  logger.debug({ path }, 'sqlite opened');
  const base = kyselyDatabase('sqlite', db, logger);
  let closed: Promise<void> | undefined;
  const sqlite: SqlDatabase = {
    ...base,
    close() {
      // The checkpoint thread closes its connection first; the last one to close checkpoints.
      closed ??= (checkpointer?.stop() ?? Promise.resolve()).then(() => base.close());
      return closed;
    },
  };
  return withHotPaths(sqlite, { direct: new Direct(database, lock) });
}

/** First come, first served: who holds the one connection (Kysely's queries or `Direct`). */
class FifoLock {
  private readonly waiting: (() => void)[] = [];
  private held = false;

  /** Undefined when taken at once; otherwise resolves once it is this caller's. */
  acquire(): Promise<void> | undefined {
    if (!this.held) {
      this.held = true;
      return undefined;
    }
    return new Promise<void>((resolve) => this.waiting.push(resolve));
  }

  release(): void {
    const next = this.waiting.shift();
    if (next)
      next(); // handed over: stays held
    else this.held = false;
  }

  /** Runs `fn` while holding the lock, until what it returns settles. */
  async exclusive(fn: () => Promise<void>): Promise<void> {
    await this.acquire();
    try {
      await fn();
    } finally {
      this.release();
    }
  }
}

/**
 * Runs compiled queries on the connection itself, synchronously, for the hot paths: through
 * Kysely a query is a chain of some ten promises (connection provider, lock, driver) around
 * a few microseconds of SQLite; here it is one. The same lock as Kysely's, so neither ever
 * sees the other's open transaction.
 */
class Direct implements SqliteDirect {
  constructor(
    private readonly database: KyselySqliteDatabase,
    private readonly lock: FifoLock,
  ) {}

  private readonly runner = this.newRunner();

  /** A runner object of its own per transaction, so callers can tell transactions apart. */
  private newRunner(): QueryRunner {
    return { executeQuery: <R>(q: CompiledQuery<R>) => Promise.resolve(this.execute(q)) };
  }

  private execute<R>(q: CompiledQuery<R>): QueryResult<R> {
    const stmt = this.database.prepare(q.sql);
    if (stmt.reader) return { rows: stmt.all(q.parameters) as R[] };
    const r = stmt.run(q.parameters);
    return { rows: [], numAffectedRows: BigInt(r.changes) };
  }

  dataVersion(): number {
    const row = this.database.prepare('pragma data_version').all([])[0] as { data_version: bigint };
    return Number(row.data_version);
  }

  async read<T>(fn: (db: QueryRunner) => Promise<T>): Promise<T> {
    await this.lock.acquire();
    try {
      return await fn(this.runner);
    } finally {
      this.lock.release();
    }
  }

  async transaction<T>(fn: (tx: QueryRunner) => Promise<T>): Promise<T> {
    await this.lock.acquire();
    try {
      this.database.prepare('begin').run([]);
      try {
        const out = await fn(this.newRunner());
        this.database.prepare('commit').run([]);
        return out;
      } catch (err) {
        // SQLite may have rolled back by itself already (some errors end the transaction).
        try {
          this.database.prepare('rollback').run([]);
        } catch {
          /* nothing left to roll back */
        }
        throw err;
      }
    } finally {
      this.lock.release();
    }
  }
}

/**
 * Adapts better-sqlite3 to what the other engines accept, so services write one code path:
 * booleans bind as 0/1 (better-sqlite3 rejects them), and Kysely's `begin` becomes
 * `begin immediate` so a transaction takes the write lock up front; a deferred one that
 * reads then writes can fail with SQLITE_BUSY at once, ignoring busy_timeout.
 */
function portable(raw: Database.Database): KyselySqliteDatabase {
  // Kysely prepares every query anew; the same few SQL texts repeat, so keep them prepared.
  const cache = new Map<string, Database.Statement>();
  const bind = (params: ReadonlyArray<unknown>) =>
    params.map((p) => (typeof p === 'boolean' ? (p ? 1 : 0) : p));
  return {
    close: () => raw.close(),
    prepare(sqlText: string) {
      let stmt = cache.get(sqlText);
      if (!stmt) {
        stmt = raw.prepare(sqlText === 'begin' ? 'begin immediate' : sqlText);
        if (cache.size >= STATEMENT_CACHE_SIZE) cache.delete(cache.keys().next().value!);
        cache.set(sqlText, stmt);
      }
      const s = stmt;
      return {
        reader: s.reader,
        all: (params: ReadonlyArray<unknown>) => s.all(bind(params)),
        run: (params: ReadonlyArray<unknown>) => s.run(bind(params)),
        iterate: (params: ReadonlyArray<unknown>) => s.iterate(bind(params)),
      };
    },
  };
}

/**
 * Kysely's SQLite dialect with a first-come-first-served lock on its one connection.
 * Kysely's own lock wakes every waiter each time it is released and all but one go back
 * to waiting: with n queries queued behind a transaction that is O(n^2) promise work, and
 * under load (many sends waiting for a group commit) it was a tenth of the server's CPU.
 */
class FairSqliteDialect extends SqliteDialect {
  constructor(
    config: ConstructorParameters<typeof SqliteDialect>[0],
    private readonly lock: FifoLock,
  ) {
    super(config);
  }

  override createDriver(): Driver {
    const inner = super.createDriver();
    const lock = this.lock;
    return {
      init: () => inner.init(),
      async acquireConnection(): Promise<DatabaseConnection> {
        await lock.acquire();
        // Ours is the only holder, so the inner lock is always free here.
        return inner.acquireConnection();
      },
      async releaseConnection(conn) {
        await inner.releaseConnection(conn);
        lock.release();
      },
      beginTransaction: (conn, settings) => inner.beginTransaction(conn, settings),
      commitTransaction: (conn) => inner.commitTransaction(conn),
      rollbackTransaction: (conn) => inner.rollbackTransaction(conn),
      savepoint: (conn, name, compile) => inner.savepoint!(conn, name, compile),
      rollbackToSavepoint: (conn, name, compile) => inner.rollbackToSavepoint!(conn, name, compile),
      releaseSavepoint: (conn, name, compile) => inner.releaseSavepoint!(conn, name, compile),
      destroy: () => inner.destroy(),
    };
  }
}
