import {
  DummyDriver,
  Kysely,
  MysqlAdapter,
  MysqlIntrospector,
  MysqlQueryCompiler,
  SqliteAdapter,
  SqliteIntrospector,
  SqliteQueryCompiler,
  type Dialect,
} from 'kysely';
import { describe, expect, it } from 'vitest';
import type { SqlEngine } from '../../adapters/sql/sql.js';
import { PointerWriter, rowParts } from './moments.pointers.js';
import type { TimelineRow } from './moments.repository.js';
import type { MomentsTables } from './moments.tables.js';

/**
 * The fan-out's pointer INSERTs (moments.pointers.ts), compiled with each engine's own query
 * compiler and run on no database (Kysely's DummyDriver), every statement written down: a
 * handful of row counts serve every post, each statement in a turn of its own, every row once.
 */
function writer(engine: SqlEngine, batchSize: number) {
  const ran: { sql: string; parameters: readonly unknown[]; turn: number }[] = [];
  let turn = 0;
  const dialect: Dialect = {
    createDriver: () => new DummyDriver(),
    ...(engine === 'mysql'
      ? {
          createAdapter: () => new MysqlAdapter(),
          createIntrospector: (db) => new MysqlIntrospector(db),
          createQueryCompiler: () => new MysqlQueryCompiler(),
        }
      : {
          createAdapter: () => new SqliteAdapter(),
          createIntrospector: (db) => new SqliteIntrospector(db),
          createQueryCompiler: () => new SqliteQueryCompiler(),
        }),
  };
  const db = new Kysely<MomentsTables>({
    dialect,
    log: (e) => void ran.push({ sql: e.query.sql, parameters: e.query.parameters, turn }),
  });
  const w = new PointerWriter(db, engine, batchSize, () => {
    turn++;
    return Promise.resolve();
  });
  return { w, ran };
}

const rows = (n: number, post = '9'): TimelineRow[] =>
  Array.from({ length: n }, (_, i) => ({ viewerId: String(100 + i), momentId: post, authorId: '7' }));

describe('moments fan-out pointers', () => {
  it('slices a post into the batch size, then powers of two', () => {
    const sizes = (n: number, max: number) => [...rowParts(rows(n), max)].map((p) => p.length);
    expect(sizes(200, 500)).toEqual([128, 64, 8]);
    expect(sizes(1200, 500)).toEqual([500, 500, 128, 64, 8]);
    expect(sizes(5, 2)).toEqual([2, 2, 1]);
    expect(sizes(7, 1)).toEqual([1, 1, 1, 1, 1, 1, 1]);
    expect(sizes(0, 500)).toEqual([]);
    expect(sizes(64, 64)).toEqual([64]);
  });

  it('writes every pointer once, a statement a turn, with a handful of statement shapes', async () => {
    const { w, ran } = writer('sqlite', 500);
    await w.write(rows(200, '1'));
    await w.write(rows(197, '2'));
    await w.write(rows(200, '3'));
    // 128 + 64 + 8, then 128 + 64 + 4 + 1, then 128 + 64 + 8 again.
    const perRow = (sql: string) => (sql.match(/\(\?, \?, \?\)/g) ?? []).length;
    expect(ran.map((r) => perRow(r.sql))).toEqual([128, 64, 8, 128, 64, 4, 1, 128, 64, 8]);
    expect(new Set(ran.map((r) => r.sql)).size).toBe(5);
    expect(ran.every((r) => r.sql.endsWith('on conflict do nothing'))).toBe(true);
    // Every statement after a turn of its own: none runs in the task that called write.
    expect(ran.map((r) => r.turn)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    const written = ran.flatMap((r) => {
      const out: string[] = [];
      for (let i = 0; i < r.parameters.length; i += 3)
        out.push(`${String(r.parameters[i + 1])}>${String(r.parameters[i])}`);
      return out;
    });
    const expected = [...rows(200, '1'), ...rows(197, '2'), ...rows(200, '3')].map(
      (r) => `${r.momentId}>${r.viewerId}`,
    );
    expect(written).toEqual(expected);
    expect(ran[0]!.parameters.slice(0, 3)).toEqual(['100', '1', '7']);
  });

  it('skips pointers already there on MariaDB too, and refuses a bad batch size', async () => {
    const { w, ran } = writer('mysql', 4);
    await w.write(rows(6));
    expect(ran.map((r) => r.sql.startsWith('insert ignore into `moments_timeline`'))).toEqual([true, true]);
    expect(() => writer('sqlite', 0)).toThrow(/batchSize/);
  });
});
