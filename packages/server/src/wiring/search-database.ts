import path from 'node:path';
import type { SqlDatabase } from '../adapters/sql/sql.js';
import type { Config } from '../config.schema.js';
import type { Logger } from '../kernel/logger.js';

/** Handles on the search index's own database, shared by the modules of one process. */
const open = new Map<string, { db: Promise<SqlDatabase>; users: number }>();

/**
 * The database the search index lives in (`search.sqlUrl`): by default the messages' own,
 * except on SQLite, where it is `search.db` in dataDir, so that indexing never holds the one
 * write lock sends wait for. `release` closes it with its last user.
 */
export async function searchDatabase(
  main: SqlDatabase,
  config: Config,
  logger: Logger,
): Promise<{ db: SqlDatabase; url?: string; release(): Promise<void> }> {
  const url = searchDatabaseUrl(main, config);
  if (!url) return { db: main, release: async () => undefined };
  let entry = open.get(url);
  if (!entry) {
    const { openSql } = await import('../adapters/sql/open-sql.js');
    entry = {
      db: openSql({ url, logger, sqliteSynchronous: config.sql.sqliteSynchronous }),
      users: 0,
    };
    open.set(url, entry);
    entry.db.catch(() => open.delete(url));
  }
  entry.users++;
  const db = await entry.db;
  let released = false;
  return {
    db,
    url,
    async release() {
      if (released) return;
      released = true;
      if (--entry.users > 0) return;
      open.delete(url);
      await db.close();
    },
  };
}

/** The search database's own URL, undefined when it is the messages' database. */
export function searchDatabaseUrl(main: SqlDatabase, config: Config): string | undefined {
  return (
    config.search.sqlUrl ??
    (main.engine === 'sqlite' ? `sqlite:${path.join(config.dataDir, 'search.db')}` : undefined)
  );
}
