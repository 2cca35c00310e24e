import type { Logger } from 'pino';
import type { SqlDatabase, SqlEngine } from './sql.js';

// Lives in sql.ts (no driver imports); re-exported so callers of openSql find it here too.
export { isUniqueViolation } from './sql.js';

/**
 * Which engine a URL names, and the file path for SQLite. Forms: `sqlite:<path>` (relative
 * to the working directory), `sqlite::memory:`, `mysql://` or `mariadb://`, `postgres://`
 * or `postgresql://`.
 */
export function parseSqlUrl(url: string): { engine: SqlEngine; path?: string } {
  if (url.startsWith('sqlite:')) {
    // Accept `sqlite:///abs/path` and `sqlite://rel/path` as well as the plain form.
    const rest = url.slice('sqlite:'.length).replace(/^\/\//, '');
    if (rest === '')
      throw new Error('sqlite URL needs a path, e.g. sqlite:data/mychat.db or sqlite::memory:');
    return { engine: 'sqlite', path: rest };
  }
  if (/^(mysql|mariadb):\/\//.test(url)) return { engine: 'mysql' };
  if (/^postgres(ql)?:\/\//.test(url)) return { engine: 'postgres' };
  const scheme = url.split(':', 1)[0];
  throw new Error(`unsupported sql URL scheme "${scheme}:" (use sqlite:, mysql://, mariadb://, postgres://)`);
}

/**
 * Opens the sql port for `url`. Only the named engine's driver is loaded, so an all-in-one
 * SQLite process never loads pg or mysql2 (and a MySQL one never needs the native sqlite build).
 */
export async function openSql(opts: {
  url: string;
  logger: Logger;
  /** SQLite only: NORMAL (default; survives a killed process) or FULL (fsync every commit). */
  sqliteSynchronous?: 'normal' | 'full';
}): Promise<SqlDatabase> {
  const { engine, path } = parseSqlUrl(opts.url);
  const logger = opts.logger.child({ sql: engine });
  switch (engine) {
    case 'sqlite': {
      const { openSqliteSql } = await import('./sqlite.sql.js');
      return openSqliteSql(path ?? ':memory:', logger, { synchronous: opts.sqliteSynchronous ?? 'normal' });
    }
    case 'mysql': {
      const { openMysqlSql } = await import('./mysql.sql.js');
      return openMysqlSql(opts.url, logger);
    }
    case 'postgres': {
      const { openPostgresSql } = await import('./postgres.sql.js');
      return openPostgresSql(opts.url, logger);
    }
  }
}
