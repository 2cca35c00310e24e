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
  const migrator = new Migrator({
    db,
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
