import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { sql as rawSql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../test/helpers/sql-databases.js';
import { openSql, parseSqlUrl } from './open-sql.js';

describe('parseSqlUrl', () => {
  it('recognises every supported form', () => {
    expect(parseSqlUrl('sqlite:data/mychat.db')).toEqual({ engine: 'sqlite', path: 'data/mychat.db' });
    expect(parseSqlUrl('sqlite:///var/lib/mychat.db')).toEqual({
      engine: 'sqlite',
      path: '/var/lib/mychat.db',
    });
    expect(parseSqlUrl('sqlite::memory:')).toEqual({ engine: 'sqlite', path: ':memory:' });
    expect(parseSqlUrl('mysql://root@h/db').engine).toBe('mysql');
    expect(parseSqlUrl('mariadb://root@h/db').engine).toBe('mysql');
    expect(parseSqlUrl('postgres://u@h/db').engine).toBe('postgres');
    expect(parseSqlUrl('postgresql://u@h/db').engine).toBe('postgres');
  });

  it('rejects unknown schemes and an empty sqlite path', () => {
    expect(() => parseSqlUrl('mongodb://h/db')).toThrow(/unsupported sql URL scheme "mongodb:"/);
    expect(() => parseSqlUrl('sqlite:')).toThrow(/needs a path/);
  });
});

describe('openSql on sqlite files', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('creates parent directories for a path relative to the working directory, in WAL mode', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mychat-open-sql-'));
    dirs.push(dir);
    const file = join(dir, 'nested', 'deeper', 'mychat.db');
    const sql = await openSql({ url: `sqlite:${relative(process.cwd(), file)}`, logger: silentLogger() });
    try {
      expect(existsSync(file)).toBe(true);
      const { rows } = await rawSql<{ journal_mode: string }>`pragma journal_mode`.execute(sql.db);
      expect(rows[0]?.journal_mode).toBe('wal');
      const fk = await rawSql<{ foreign_keys: bigint }>`pragma foreign_keys`.execute(sql.db);
      expect(Number(fk.rows[0]?.foreign_keys)).toBe(1);
    } finally {
      await sql.close();
    }
  });

  it('keeps sqlite::memory: private to one instance', async () => {
    const a = await openSql({ url: 'sqlite::memory:', logger: silentLogger() });
    const b = await openSql({ url: 'sqlite::memory:', logger: silentLogger() });
    try {
      await a.db.schema.createTable('only_in_a').addColumn('id', 'integer').execute();
      await expect(rawSql`select * from only_in_a`.execute(b.db)).rejects.toThrow(/no such table/);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });
});
