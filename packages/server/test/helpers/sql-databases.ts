import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import pino, { type Logger } from 'pino';
import { openSql } from '../../src/adapters/sql/open-sql.js';
import type { SqlDatabase, SqlEngine } from '../../src/adapters/sql/sql.js';
import { backendUrls, uniqueName } from './backends.js';

/**
 * Creates an empty, uniquely named database for one test run and returns its URL:
 * CREATE DATABASE on the PostgreSQL/MariaDB server from {@link backendUrls}, a file in a
 * fresh temp directory for SQLite. Parallel runs never share tables.
 */
export async function createTestDatabaseUrl(engine: SqlEngine): Promise<string> {
  const name = uniqueName('mychat_test');
  switch (engine) {
    case 'sqlite':
      return `sqlite:${join(mkdtempSync(join(tmpdir(), 'mychat-sql-')), `${name}.db`)}`;
    case 'postgres':
      await adminPostgres(`create database "${name}"`);
      return withPath(backendUrls.postgres, name);
    case 'mysql':
      await adminMysql(`create database \`${name}\` character set utf8mb4 collate utf8mb4_unicode_ci`);
      return withPath(backendUrls.mysql, name);
  }
}

/** Drops a database made by {@link createTestDatabaseUrl}; close every connection to it first. */
export async function dropTestDatabase(url: string): Promise<void> {
  if (url.startsWith('sqlite:')) {
    rmSync(dirname(url.slice('sqlite:'.length)), { recursive: true, force: true });
    return;
  }
  const name = decodeURIComponent(new URL(url).pathname.slice(1));
  if (!/^mychat_test_\w+$/.test(name)) throw new Error(`refusing to drop non-test database ${name}`);
  if (url.startsWith('postgres')) await adminPostgres(`drop database if exists "${name}" with (force)`);
  else await adminMysql(`drop database if exists \`${name}\``);
}

/** A throwaway database, opened; `dispose` closes and drops it. For beforeAll/afterAll. */
export interface TestDatabase {
  url: string;
  sql: SqlDatabase;
  dispose(): Promise<void>;
}

/** Creates and opens a throwaway database on `engine`. */
export async function openTestDatabase(
  engine: SqlEngine,
  logger: Logger = silentLogger(),
): Promise<TestDatabase> {
  const url = await createTestDatabaseUrl(engine);
  let sql: SqlDatabase;
  try {
    sql = await openSql({ url, logger });
  } catch (err) {
    await dropTestDatabase(url);
    throw err;
  }
  return {
    url,
    sql,
    async dispose() {
      await sql.close();
      await dropTestDatabase(url);
    },
  };
}

/** Runs `fn` against a throwaway database on `engine`, dropping it afterwards. */
export async function withTestDatabase<T>(
  engine: SqlEngine,
  fn: (sql: SqlDatabase) => Promise<T>,
): Promise<T> {
  const t = await openTestDatabase(engine);
  try {
    return await fn(t.sql);
  } finally {
    await t.dispose();
  }
}

/** A logger that writes nothing, for tests that do not look at logs. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}

function withPath(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

async function adminPostgres(statement: string): Promise<void> {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: backendUrls.postgres });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

async function adminMysql(statement: string): Promise<void> {
  const { default: mysql } = await import('mysql2/promise');
  const conn = await mysql.createConnection({ uri: backendUrls.mysql });
  try {
    await conn.query(statement);
  } finally {
    await conn.end();
  }
}
