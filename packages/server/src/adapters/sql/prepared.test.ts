import { sql, type Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../test/helpers/sql-databases.js';
import { prepared, preparedOn, preparedRows, slot } from './prepared.js';
import type { SqlDatabase } from './sql.js';
import { openSqliteSql } from './sqlite.sql.js';

interface T {
  t_items: { id: number; name: string; n: number };
}

describe('prepared queries', () => {
  let s: SqlDatabase;
  let db: Kysely<T>;
  beforeAll(async () => {
    s = await openSqliteSql(':memory:', silentLogger());
    db = s.db as Kysely<T>;
    await sql`create table t_items (id integer primary key, name text not null, n integer not null)`.execute(
      db,
    );
    await db
      .insertInto('t_items')
      .values([
        { id: 1, name: 'a', n: 10 },
        { id: 2, name: 'b', n: 20 },
        { id: 3, name: 'a', n: 30 },
      ])
      .execute();
  });
  afterAll(() => s?.close());

  it('compiles once and binds new arguments on every run, keeping the fixed values', async () => {
    let builds = 0;
    const byName = prepared<{ name: string; min: number }>(() => {
      builds++;
      return db
        .selectFrom('t_items')
        .select('id')
        .where('name', '=', slot('name'))
        .where('n', '>=', slot('min'))
        .where('id', '<', 100) // a fixed parameter between the slots
        .orderBy('id');
    });
    const ids = async (name: string, min: number) =>
      (await byName(db, { name, min })).rows.map((r) => Number(r.id));
    expect(await ids('a', 0)).toEqual([1, 3]);
    expect(await ids('a', 20)).toEqual([3]);
    expect(await ids('b', 0)).toEqual([2]);
    expect(builds).toBe(1);
  });

  it('runs inside a transaction and reports changed rows', async () => {
    const bump = prepared<{ id: number; by: number }>(() =>
      db
        .updateTable('t_items')
        .set({ n: sql<number>`n + ${slot<number>('by')}` })
        .where('id', '=', slot('id')),
    );
    const changed = await db
      .transaction()
      .execute(async (tx) => (await bump(tx, { id: 2, by: 5 })).numAffectedRows);
    expect(changed).toBe(1n);
    expect((await db.selectFrom('t_items').select('n').where('id', '=', 2).executeTakeFirst())?.n).toBe(25n);
  });

  it('inserts rows of any count, each column from its getter, fixed columns kept, compiled once per count', async () => {
    let builds = 0;
    const insert = preparedRows<{ id: number; label: string }>(
      { id: (r) => r.id, name: (r) => r.label.toUpperCase() },
      (values) => {
        builds++;
        return db.insertInto('t_items').values(values.map((v) => ({ ...v, n: 7 }) as T['t_items']));
      },
    );
    await insert(db, [{ id: 10, label: 'x' }]);
    await insert(db, [
      { id: 11, label: 'y' },
      { id: 12, label: 'z' },
    ]);
    await insert(db, [{ id: 13, label: 'w' }]);
    const rows = await db.selectFrom('t_items').selectAll().where('id', '>=', 10).orderBy('id').execute();
    expect(rows.map((r) => [Number(r.id), r.name, Number(r.n)])).toEqual([
      [10, 'X', 7],
      [11, 'Y', 7],
      [12, 'Z', 7],
      [13, 'W', 7],
    ]);
    expect(builds).toBe(2);
    await expect(insert(db, [{ id: 10, label: 'again' }])).rejects.toThrow(/UNIQUE|PRIMARY/i);
  });

  it('compiles once per dialect for a database and its transactions, and runs on the handle given', async () => {
    let builds = 0;
    const byId = preparedOn<{ id: number }, T>((d) => {
      builds++;
      return d.selectFrom('t_items').select('name').where('id', '=', slot('id'));
    });
    const name = async (d: Kysely<T>, id: number) => (await byId(d, { id })).rows[0]?.name;
    expect(await name(db, 1)).toBe('a');
    // Inside a transaction it sees the transaction's own write, and is not compiled again.
    await db
      .transaction()
      .execute(async (tx) => {
        await tx.updateTable('t_items').set({ name: 'in-tx' }).where('id', '=', 2).execute();
        expect(await name(tx, 2)).toBe('in-tx');
        throw new Error('roll back');
      })
      .catch(() => undefined);
    expect(await name(db, 2)).toBe('b');
    expect(builds).toBe(1);
    // Another database (another dialect adapter) gets its own compile, and its own rows.
    const other = await openSqliteSql(':memory:', silentLogger());
    try {
      const odb = other.db as Kysely<T>;
      await sql`create table t_items (id integer primary key, name text not null, n integer not null)`.execute(
        odb,
      );
      await odb.insertInto('t_items').values({ id: 1, name: 'other', n: 0 }).execute();
      expect(await name(odb, 1)).toBe('other');
      expect(builds).toBe(2);
    } finally {
      await other.close();
    }
  });
});
