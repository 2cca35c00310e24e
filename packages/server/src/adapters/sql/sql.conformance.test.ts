import { sql as rawSql, type Kysely, type Migration } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backendAvailable, type Backend } from '../../../test/helpers/backends.js';
import { openTestDatabase, type TestDatabase } from '../../../test/helpers/sql-databases.js';
import { asBool, asId, asNum, isUniqueViolation, type SqlDatabase, type SqlEngine } from './sql.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Db = Kysely<any>;

/** Schema written once with the schema builder, as services will; `runs` counts real executions. */
function conformanceMigrations(runs: Record<string, number>): Record<string, Migration> {
  const counted = (name: string, up: (db: Db) => Promise<void>): Migration => ({
    up: async (db) => {
      runs[name] = (runs[name] ?? 0) + 1;
      await up(db);
    },
  });
  return {
    '0001_init': counted('0001_init', async (db) => {
      await db.schema
        .createTable('conf_users')
        .addColumn('id', 'bigint', (c) => c.primaryKey())
        .addColumn('name', 'varchar(64)', (c) => c.notNull().unique())
        .addColumn('active', 'boolean', (c) => c.notNull().defaultTo(false))
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('conf_counters')
        .addColumn('id', 'varchar(32)', (c) => c.primaryKey())
        .addColumn('n', 'bigint', (c) => c.notNull())
        .execute();
    }),
    '0002_items': counted('0002_items', async (db) => {
      await db.schema
        .createTable('conf_items')
        .addColumn('conv', 'varchar(32)', (c) => c.notNull().references('conf_counters.id'))
        .addColumn('seq', 'bigint', (c) => c.notNull())
        .addColumn('body', 'text')
        .addPrimaryKeyConstraint('conf_items_pk', ['conv', 'seq'])
        .execute();
      await db.schema.createIndex('conf_users_created_idx').on('conf_users').column('created_at').execute();
    }),
  };
}

async function migrationRows(db: Db, owner: string): Promise<string[]> {
  const rows = await db.selectFrom(`${owner}_migrations`).select('name').orderBy('name').execute();
  return rows.map((r) => String(r.name));
}

async function caught(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error('expected the operation to fail');
}

/** The one suite every sql engine must pass. */
function sqlConformance(engine: SqlEngine): void {
  let t: TestDatabase;
  let sql: SqlDatabase;
  let db: Db;
  const runs: Record<string, number> = {};

  beforeAll(async () => {
    t = await openTestDatabase(engine);
    sql = t.sql;
    db = sql.db;
    await sql.migrate('conf', conformanceMigrations(runs));
    await db.insertInto('conf_counters').values({ id: 'c1', n: 0 }).execute();
  });
  afterAll(async () => {
    await t?.dispose();
  });

  it('reports its engine and answers ping', async () => {
    expect(sql.engine).toBe(engine);
    await expect(sql.ping()).resolves.toBeUndefined();
  });

  it('runs migrations once and tracks them in <owner>_migrations', async () => {
    await sql.migrate('conf', conformanceMigrations(runs));
    expect(runs).toEqual({ '0001_init': 1, '0002_items': 1 });
    expect(await migrationRows(db, 'conf')).toEqual(['0001_init', '0002_items']);
  });

  it('applies only the new migration when one is added later', async () => {
    let ran = 0;
    await sql.migrate('conf', {
      ...conformanceMigrations(runs),
      '0003_bio': {
        up: async (d: Db) => {
          ran++;
          await d.schema.alterTable('conf_users').addColumn('bio', 'varchar(200)').execute();
        },
      },
    });
    expect(ran).toBe(1);
    expect(runs).toEqual({ '0001_init': 1, '0002_items': 1 });
    expect(await migrationRows(db, 'conf')).toEqual(['0001_init', '0002_items', '0003_bio']);
  });

  it('tracks each owner separately, even with the same migration names', async () => {
    let ran = 0;
    const other = {
      '0001_init': {
        up: async (d: Db) => {
          ran++;
          await d.schema
            .createTable('other_things')
            .addColumn('id', 'bigint', (c) => c.primaryKey())
            .execute();
        },
      },
    };
    await sql.migrate('other', other);
    await sql.migrate('other', other);
    expect(ran).toBe(1);
    expect(await migrationRows(db, 'other')).toEqual(['0001_init']);
    expect(await migrationRows(db, 'conf')).toEqual(['0001_init', '0002_items', '0003_bio']);
  });

  it('refuses to start on a database migrated further than the code knows', async () => {
    // 0003_bio was applied above; code that lists only 0001 and 0002 is older than the data.
    const err = await caught(sql.migrate('conf', conformanceMigrations(runs)));
    expect((err as Error).message).toMatch(/migrations of "conf" failed/);
  });

  it('checks an up-to-date owner with one select, without the migration lock', async () => {
    const other = { '0001_init': { up: async () => undefined } };
    await sql.migrate('lockless', other);
    await rawSql`drop table ${rawSql.table('lockless_migrations_lock')}`.execute(db);
    await sql.migrate('lockless', other);
    // The Migrator would have made its lock table again; the fast path never touches it.
    const tables = await db.introspection.getTables({ withInternalKyselyTables: true });
    expect(tables.map((t) => t.name)).not.toContain('lockless_migrations_lock');
    expect(await migrationRows(db, 'lockless')).toEqual(['0001_init']);
  });

  it('names the failed migration, and a fixed retry completes', async () => {
    const ok = {
      up: async (d: Db) => {
        await d.schema.createTable('broken_ok').ifNotExists().addColumn('id', 'bigint').execute();
      },
    };
    const bad = { up: async (d: Db) => void (await rawSql`select * from no_such_table`.execute(d)) };
    const err = await caught(sql.migrate('broken', { '0001_ok': ok, '0002_bad': bad }));
    expect((err as Error).message).toMatch(/migration "broken\/0002_bad" failed/);
    const fixed = { up: async (d: Db) => void (await rawSql`select 1`.execute(d)) };
    await sql.migrate('broken', { '0001_ok': ok, '0002_bad': fixed });
    expect(await migrationRows(db, 'broken')).toEqual(['0001_ok', '0002_bad']);
  });

  it('rejects an owner that is not a plain identifier', async () => {
    await expect(sql.migrate('bad-owner; drop', {})).rejects.toThrow(/invalid migration owner/);
  });

  it('round-trips 64-bit ids exactly, given as string or bigint', async () => {
    const ids = ['1234567890123456789', '9223372036854775807', (2n ** 53n + 1n).toString()];
    await db
      .insertInto('conf_users')
      .values([
        { id: ids[0], name: 'snow-a', created_at: Date.now() },
        { id: 9223372036854775807n, name: 'snow-b', created_at: Date.now() },
        { id: 2n ** 53n + 1n, name: 'snow-c', created_at: Date.now() },
      ])
      .execute();
    const rows = await db
      .selectFrom('conf_users')
      .select('id')
      .where('name', 'like', 'snow-%')
      .orderBy('name')
      .execute();
    expect(rows.map((r) => asId(r.id))).toEqual(ids);
    const one = await db.selectFrom('conf_users').select('name').where('id', '=', ids[0]).executeTakeFirst();
    expect(one?.name).toBe('snow-a');
  });

  it('round-trips booleans, epoch-ms integers, counts and emoji text', async () => {
    const now = 1_700_000_000_123;
    await db
      .insertInto('conf_users')
      .values({ id: '11', name: '用户😀', active: true, created_at: now })
      .execute();
    await db
      .insertInto('conf_users')
      .values({ id: '12', name: 'inactive', active: false, created_at: now })
      .execute();
    const r = await db.selectFrom('conf_users').selectAll().where('id', '=', '11').executeTakeFirstOrThrow();
    expect([r.name, asBool(r.active), asNum(r.created_at)]).toEqual(['用户😀', true, now]);
    const active = await db
      .selectFrom('conf_users')
      .select('id')
      .where('active', '=', true)
      .where('created_at', '=', now)
      .execute();
    expect(active.map((x) => asId(x.id))).toEqual(['11']);
    const c = await db
      .selectFrom('conf_users')
      .select((eb) => eb.fn.countAll().as('c'))
      .where('created_at', '=', now)
      .executeTakeFirstOrThrow();
    expect(asNum(c.c)).toBe(2);
  });

  it('commits a transaction', async () => {
    await db.transaction().execute(async (trx) => {
      await trx.insertInto('conf_users').values({ id: '21', name: 'tx-commit', created_at: 1 }).execute();
    });
    expect(
      await db.selectFrom('conf_users').select('id').where('id', '=', '21').executeTakeFirst(),
    ).toBeDefined();
  });

  it('rolls a transaction back when its callback throws', async () => {
    const boom = new Error('boom');
    const err = await caught(
      db.transaction().execute(async (trx) => {
        await trx.insertInto('conf_users').values({ id: '22', name: 'tx-rollback', created_at: 1 }).execute();
        await trx.updateTable('conf_counters').set({ n: 999 }).where('id', '=', 'c1').execute();
        throw boom;
      }),
    );
    expect(err).toBe(boom);
    expect(
      await db.selectFrom('conf_users').select('id').where('id', '=', '22').executeTakeFirst(),
    ).toBeUndefined();
    const c = await db
      .selectFrom('conf_counters')
      .select('n')
      .where('id', '=', 'c1')
      .executeTakeFirstOrThrow();
    expect(asNum(c.n)).toBe(0);
  });

  it('recognises unique violations on primary keys and unique columns, and nothing else', async () => {
    await db.insertInto('conf_users').values({ id: '31', name: 'dup', created_at: 1 }).execute();
    const dupPk = await caught(
      db.insertInto('conf_users').values({ id: '31', name: 'other', created_at: 1 }).execute(),
    );
    const dupName = await caught(
      db.insertInto('conf_users').values({ id: '32', name: 'dup', created_at: 1 }).execute(),
    );
    expect(isUniqueViolation(dupPk)).toBe(true);
    expect(isUniqueViolation(dupName)).toBe(true);
    expect(isUniqueViolation(new Error('wrapped', { cause: dupName }))).toBe(true);

    const notNull = await caught(
      db.insertInto('conf_users').values({ id: '33', name: null, created_at: 1 }).execute(),
    );
    const foreignKey = await caught(
      db.insertInto('conf_items').values({ conv: 'missing', seq: 1 }).execute(),
    );
    const noTable = await caught(rawSql`select * from no_such_table`.execute(db));
    for (const e of [notNull, foreignKey, noTable, new Error('x'), null, undefined, 'ER_DUP_ENTRY']) {
      expect(isUniqueViolation(e)).toBe(false);
    }
  });

  it('enforces foreign keys', async () => {
    await expect(db.insertInto('conf_items').values({ conv: 'nope', seq: 1 }).execute()).rejects.toThrow();
  });

  it('loses no update when transactions increment one counter concurrently', async () => {
    const n = 25;
    const seqs = await Promise.all(
      Array.from({ length: n }, (_, i) =>
        db.transaction().execute(async (trx) => {
          await trx
            .updateTable('conf_counters')
            .set((eb) => ({ n: eb('n', '+', 1) }))
            .where('id', '=', 'c1')
            .execute();
          const row = await trx
            .selectFrom('conf_counters')
            .select('n')
            .where('id', '=', 'c1')
            .executeTakeFirstOrThrow();
          const seq = asNum(row.n);
          await trx
            .insertInto('conf_items')
            .values({ conv: 'c1', seq, body: `m${i}` })
            .execute();
          return seq;
        }),
      ),
    );
    expect([...seqs].sort((a, b) => a - b)).toEqual(Array.from({ length: n }, (_, i) => i + 1));
    const c = await db
      .selectFrom('conf_counters')
      .select('n')
      .where('id', '=', 'c1')
      .executeTakeFirstOrThrow();
    expect(asNum(c.n)).toBe(n);
  });

  it('closes idempotently and refuses queries afterwards', async () => {
    const other = await openTestDatabase(engine);
    await other.sql.ping();
    await other.sql.close();
    await other.sql.close();
    await expect(other.sql.ping()).rejects.toThrow();
    await other.dispose();
  });
}

const engines: Array<{ engine: SqlEngine; backend?: Backend }> = [
  { engine: 'sqlite' },
  { engine: 'mysql', backend: 'mysql' },
  { engine: 'postgres', backend: 'postgres' },
];

for (const { engine, backend } of engines) {
  const available = backend === undefined || (await backendAvailable(backend));
  describe.skipIf(!available)(`sql conformance: ${engine}`, () => sqlConformance(engine));
}
