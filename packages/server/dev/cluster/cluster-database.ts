import { randomBytes } from 'node:crypto';

/** A fresh database the cluster created, and how to drop it. */
export interface ClusterDatabase {
  url: string;
  drop(): Promise<void>;
}

/** The server the cluster makes its database on, by engine name, unless a URL is given. */
export const DEFAULT_SQL_SERVERS = {
  postgres: 'postgres://postgres@127.0.0.1:5432/postgres',
  mysql: 'mysql://root@127.0.0.1:3306/mysql',
} as const;

/**
 * Creates an empty database named `mychat_cluster_<random>` on a PostgreSQL or MariaDB/MySQL
 * server (`postgres`, `mysql`, or a URL whose path names a database to connect to for the
 * CREATE), and returns its URL. The cluster's services migrate it at start.
 */
export async function createClusterDatabase(sql: string): Promise<ClusterDatabase> {
  const admin = sql in DEFAULT_SQL_SERVERS ? DEFAULT_SQL_SERVERS[sql as 'postgres'] : sql;
  const name = `mychat_cluster_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  const url = new URL(admin);
  url.pathname = `/${name}`;
  if (admin.startsWith('postgres')) {
    const { default: pg } = await import('pg');
    const run = async (statement: string) => {
      const client = new pg.Client({ connectionString: admin });
      await client.connect();
      try {
        await client.query(statement);
      } finally {
        await client.end();
      }
    };
    await run(`create database "${name}"`);
    return { url: url.toString(), drop: () => run(`drop database if exists "${name}" with (force)`) };
  }
  if (admin.startsWith('mysql')) {
    const { default: mysql } = await import('mysql2/promise');
    const run = async (statement: string) => {
      const conn = await mysql.createConnection({ uri: admin });
      try {
        await conn.query(statement);
      } finally {
        await conn.end();
      }
    };
    await run(`create database \`${name}\` character set utf8mb4 collate utf8mb4_unicode_ci`);
    return { url: url.toString(), drop: () => run(`drop database if exists \`${name}\``) };
  }
  throw new Error(`the cluster needs PostgreSQL or MySQL/MariaDB, got ${admin}`);
}
