import { Migrator, sql, type Kysely, type Migration } from 'kysely';
import type { Logger } from 'pino';
import { withHotPaths } from './hot-path.js';
import type { SqlDatabase, SqlEngine } from './sql.js';

/** Owners become table names (`<owner>_migrations`), so keep them plain identifiers. */
const OWNER_PATTERN = /^[a-z][a-z0-9_]{0,40}$/;

/**
 * Wraps an engine's Kysely instance into the sql port. The engine files only build the
 * dialect; migrations, ping and close behave the same everywhere. `writeDb` is the
 * group-commit writers' own pool (see hot-path.ts), closed with the rest.
 */
export function kyselyDatabase(
  engine: SqlEngine,
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  db: Kysely<any>,
  logger: Logger,
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  writeDb: Kysely<any> = db,
): SqlDatabase {
  let closed: Promise<void> | undefined;
  const database: SqlDatabase = {
    engine,
    db,
    async migrate(owner, migrations) {
      await runMigrations(db, owner, migrations, logger);
    },
    async ping() {
      await sql`select 1`.execute(db);
    },
    close() {
      // Idempotent: module stop and test cleanup may both close.
      closed ??= Promise.all([db.destroy(), writeDb === db ? undefined : writeDb.destroy()]).then(
        () => undefined,
      );
      return closed;
    },
  };
  return writeDb === db ? database : withHotPaths(database, { writeDb });
}

async function runMigrations(
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  db: Kysely<any>,
  owner: string,
  migrations: Record<string, Migration>,
  logger: Logger,
): Promise<void> {
  if (!OWNER_PATTERN.test(owner)) throw new Error(`invalid migration owner "${owner}"`);
  if (await upToDate(db, owner, migrations)) return;
  const migrator = new Migrator({
    db: withOwnTablesIntrospection(db, owner),
    provider: { getMigrations: async () => migrations },
    migrationTableName: `${owner}_migrations`,
    migrationLockTableName: `${owner}_migrations_lock`,
  });
  const { error, results = [] } = await migrator.migrateToLatest();
  for (const r of results) {
    if (r.status === 'Success') logger.info({ owner, migration: r.migrationName }, 'migration applied');
  }
  if (error === undefined) return;
  const failed = results.find((r) => r.status === 'Error');
  const what = failed ? `migration "${owner}/${failed.migrationName}"` : `migrations of "${owner}"`;
  const reason = error instanceof Error ? error.message : String(error);
  throw new Error(`${what} failed: ${reason}`, { cause: error });
}

/**
 * Whether `<owner>_migrations` already lists exactly the code's migrations. One plain select:
 * Kysely's Migrator first introspects the schema and takes its lock, about 80 ms an owner on
 * MariaDB, paid by every process start (and every test server) even when nothing is to do. Any
 * doubt (no table yet, a migration missing, one the code does not know) goes to the Migrator,
 * which creates, applies or reports as before.
 */
async function upToDate(
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  db: Kysely<any>,
  owner: string,
  migrations: Record<string, Migration>,
): Promise<boolean> {
  let applied: Set<string>;
  try {
    const { rows } = await sql<{
      name: string;
    }>`select name from ${sql.table(`${owner}_migrations`)}`.execute(db);
    applied = new Set(rows.map((r) => r.name));
  } catch {
    return false;
  }
  const names = Object.keys(migrations);
  return applied.size === names.length && names.every((n) => applied.has(n));
}

/**
 * `db` as the Migrator sees it: its only introspection is "do my two tables exist", and
 * Kysely answers that by reading every table and column of the schema (twice an owner, and
 * on MariaDB information_schema is slow: most of a fresh database's migration time). This
 * answers it with one select per table instead. Everything else is `db` itself.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
function withOwnTablesIntrospection(db: Kysely<any>, owner: string): Kysely<any> {
  const own = [`${owner}_migrations`, `${owner}_migrations_lock`];
  const exists = async (name: string) => {
    try {
      await sql`select 1 from ${sql.table(name)} where 1 = 0`.execute(db);
      return true;
    } catch {
      return false;
    }
  };
  const introspection = {
    async getTables() {
      const found = [];
      for (const name of own) if (await exists(name)) found.push({ name, isView: false, columns: [] });
      return found;
    },
    getSchemas: () => db.introspection.getSchemas(),
    getMetadata: () => db.introspection.getMetadata(),
  };
  return new Proxy(db, {
    get(target, prop) {
      if (prop === 'introspection') return introspection;
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}
