import pg from 'pg';
import { Kysely, PostgresDialect } from 'kysely';
import type { Logger } from 'pino';
import { kyselyDatabase } from './kysely-database.js';
import type { SqlDatabase } from './sql.js';

const POOL_SIZE = 10;
/** Connections of the writers' own pool (see writePoolOf in hot-path.ts). */
const WRITE_POOL_SIZE = 2;

/** Opens a PostgreSQL pool from a `postgres://` or `postgresql://` URL. */
export async function openPostgresSql(url: string, logger: Logger): Promise<SqlDatabase> {
  const open = (max: number) => {
    // pg returns BIGINT (int8) as a string by default, which keeps snowflake ids exact.
    const pool = new pg.Pool({ connectionString: url, max, application_name: 'mychat' });
    // An idle client losing its connection emits on the pool; unhandled, it would crash the process.
    pool.on('error', (err) => logger.warn({ err }, 'postgres idle client error'));
    return new Kysely({ dialect: new PostgresDialect({ pool }) });
  };
  return kyselyDatabase('postgres', open(POOL_SIZE), logger, open(WRITE_POOL_SIZE));
}
