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
import { PointerWriter, rowsFor } from './moments.pointers.js';
import type { TimelineRow } from './moments.repository.js';
import type { MomentsTables } from './moments.tables.js';

/**
 * The fan-out's pointer INSERTs (moments.pointers.ts), compiled with each engine's own query
 * compiler and run on no database (Kysely's DummyDriver), every statement written down: one
 * statement a batch, a handful of row counts serve every post (a short batch repeats its last
 * pointer, which the INSERT skips as already there), each batch in a turn of its own.
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
  it('fills a batch up to a power of two, or the batch size', () => {
    expect([1, 2, 3, 5, 8, 9, 197, 200, 256, 257, 500].map((n) => rowsFor(n, 500))).toEqual([
      1, 2, 4, 8, 8, 16, 256, 256, 256, 500, 500,
    ]);
    expect([1, 2].map((n) => rowsFor(n, 2))).toEqual([1, 2]);
    expect(rowsFor(0, 500)).toBe(1);
  });

  it('writes every pointer, a statement a batch and a batch a turn, with a handful of shapes', async () => {
    const { w, ran } = writer('sqlite', 500);
    await w.write(rows(200, '1'));
    await w.write(rows(197, '2'));
    await w.write(rows(1200, '3'));
    await w.write([]);
    const perRow = (sql: string) => (sql.match(/\(\?, \?, \?\)/g) ?? []).length;
    expect(ran.map((r) => perRow(r.sql))).toEqual([256, 256, 500, 500, 256]);
    expect(new Set(ran.map((r) => r.sql)).size).toBe(2);
    expect(ran.every((r) => r.sql.endsWith('on conflict do nothing'))).toBe(true);
    // Every statement after a turn of its own: none runs in the task that called write.
    expect(ran.map((r) => r.turn)).toEqual([1, 2, 3, 4, 5]);
    const written = ran.map((r) => {
      const out: string[] = [];
      for (let i = 0; i < r.parameters.length; i += 3)
        out.push(`${String(r.parameters[i + 1])}>${String(r.parameters[i])}>${String(r.parameters[i + 2])}`);
      return out;
    });
    const key = (r: TimelineRow) => `${r.momentId}>${r.viewerId}>${r.authorId}`;
    const first = rows(200, '1').map(key);
    // The first post's 200 pointers, then its last one again to fill the 256 rows.
    expect(written[0]).toEqual([...first, ...Array<string>(56).fill(first[199]!)]);
    expect(new Set(written.flat())).toEqual(
      new Set([...rows(200, '1'), ...rows(197, '2'), ...rows(1200, '3')].map(key)),
    );
  });

  it('skips pointers already there on MariaDB too, and refuses a bad batch size', async () => {
    const { w, ran } = writer('mysql', 4);
    await w.write(rows(6));
    expect(ran.map((r) => r.sql.startsWith('insert ignore into `moments_timeline`'))).toEqual([true, true]);
    expect(ran.map((r) => r.parameters.length / 3)).toEqual([4, 2]);
    expect(() => writer('sqlite', 0)).toThrow(/batchSize/);
  });
});
