import mysql from 'mysql2';
import { CompiledQuery, Kysely, MysqlDialect, sql } from 'kysely';
import type { Logger } from 'pino';
import { kyselyDatabase } from './kysely-database.js';
import type { SqlDatabase } from './sql.js';

const POOL_SIZE = 10;
/** Connections of the writers' own pool (see writePoolOf in hot-path.ts). */
const WRITE_POOL_SIZE = 2;

/**
 * Strict everywhere (not only transactional tables) so MySQL/MariaDB reject what PostgreSQL
 * rejects (over-long strings, NULL into NOT NULL, loose GROUP BY) instead of silently
 * truncating: code that passes here passes on the other engines.
 */
const SQL_MODE =
  'STRICT_ALL_TABLES,ONLY_FULL_GROUP_BY,NO_ZERO_DATE,NO_ZERO_IN_DATE,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION';

/** Opens a MySQL/MariaDB pool from a `mysql://` or `mariadb://` URL. */
export async function openMysqlSql(url: string, logger: Logger): Promise<SqlDatabase> {
  const open = (connectionLimit: number) =>
    new Kysely({
      dialect: new MysqlDialect({
        pool: mysql.createPool({
          uri: url.replace(/^mariadb:/, 'mysql:'),
          connectionLimit,
          // BIGINT snowflake ids exceed 2^53: return them (and COUNTs) as exact strings.
          supportBigNumbers: true,
          bigNumberStrings: true,
          charset: 'utf8mb4_unicode_ci',
          timezone: 'Z',
        }),
        onCreateConnection: async (conn) => {
          await conn.executeQuery(CompiledQuery.raw(`set session sql_mode = '${SQL_MODE}'`));
        },
      }),
    });
  const database = kyselyDatabase('mysql', open(POOL_SIZE), logger, open(WRITE_POOL_SIZE));
  try {
    await warnOnNarrowCharset(database.db, logger);
  } catch (err) {
    await database.close();
    throw err;
  }
  return database;
}

/**
 * Tables inherit the database's default character set, and MariaDB still defaults to
 * latin1 in places: without utf8mb4, emoji in names and messages fail to insert.
 */
async function warnOnNarrowCharset(db: Kysely<unknown>, logger: Logger): Promise<void> {
  const { rows } = await sql<{ cs: string }>`select @@character_set_database as cs`.execute(db);
  const cs = rows[0]?.cs;
  if (cs !== 'utf8mb4') {
    logger.warn(
      { characterSet: cs },
      'the database default character set is not utf8mb4; emoji will not store. ' +
        'Run: ALTER DATABASE <name> CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci',
    );
  }
}
