import {
  DummyDriver,
  Kysely,
  MysqlAdapter,
  MysqlIntrospector,
  MysqlQueryCompiler,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  SqliteAdapter,
  SqliteIntrospector,
  SqliteQueryCompiler,
  type Dialect,
} from 'kysely';
import { describe, expect, it } from 'vitest';
import type { SqliteDirect } from '../../../adapters/sql/hot-path.js';
import type { SqlEngine } from '../../../adapters/sql/sql.js';
import type { MessageTables } from '../message.tables.js';
import type { MessageStore } from './message-store.js';
import { MysqlMessageStore } from './mysql-message-store.js';
import { PostgresMessageStore } from './postgres-message-store.js';
import { SqliteMessageStore } from './sqlite-message-store.js';

/**
 * The SQL of the message store's hot paths, per engine, is committed in
 * services/message/queries/<engine>.sql so that reviewers read the SQL a change makes. This
 * test compiles it again with each engine's own query compiler (no database: Kysely's
 * DummyDriver) and fails when the committed file differs.
 */
const compileOnly = (d: Omit<Dialect, 'createDriver'>): Dialect => ({
  ...d,
  createDriver: () => new DummyDriver(),
});

const dialects: Record<SqlEngine, Dialect> = {
  sqlite: compileOnly({
    createAdapter: () => new SqliteAdapter(),
    createIntrospector: (db) => new SqliteIntrospector(db),
    createQueryCompiler: () => new SqliteQueryCompiler(),
  }),
  postgres: compileOnly({
    createAdapter: () => new PostgresAdapter(),
    createIntrospector: (db) => new PostgresIntrospector(db),
    createQueryCompiler: () => new PostgresQueryCompiler(),
  }),
  mysql: compileOnly({
    createAdapter: () => new MysqlAdapter(),
    createIntrospector: (db) => new MysqlIntrospector(db),
    createQueryCompiler: () => new MysqlQueryCompiler(),
  }),
};

/** Never runs a query: the snapshot only compiles. */
const noDirect: SqliteDirect = {
  read: () => Promise.reject(new Error('compile only')),
  transaction: () => Promise.reject(new Error('compile only')),
  dataVersion: () => 0,
};

function storeFor(engine: SqlEngine): MessageStore {
  const db = new Kysely<MessageTables>({ dialect: dialects[engine] });
  if (engine === 'sqlite') return new SqliteMessageStore(db, noDirect);
  return engine === 'postgres' ? new PostgresMessageStore(db, db) : new MysqlMessageStore(db, db);
}

/** The snapshot file's text: each statement under its name, whitespace between lines evened out. */
function hotSqlSnapshot(engine: SqlEngine): string {
  const head = [
    `-- The message store's hot-path SQL on ${engine}, as its store compiles it`,
    '-- (packages/server/src/services/message/store/). Generated: run `npm run sql:snapshot`',
    '-- after changing a query, and commit the result; do not edit.',
  ];
  const body = storeFor(engine)
    .hotSql()
    .map(({ name, sql }) => `-- ${name}\n${sql.trim().replace(/\s*\n\s*/g, '\n  ')};`);
  return [head.join('\n'), ...body].join('\n\n') + '\n';
}

describe('the committed SQL of the message store', () => {
  for (const engine of ['sqlite', 'postgres', 'mysql'] as const) {
    it(`queries/${engine}.sql is what the ${engine} store runs`, async () => {
      await expect(hotSqlSnapshot(engine)).toMatchFileSnapshot(
        `../queries/${engine}.sql`,
        'the message store SQL changed: run `npm run sql:snapshot` and commit services/message/queries/',
      );
    });
  }

  it('names each statement once, and every one compiles to SQL', () => {
    for (const engine of ['sqlite', 'postgres', 'mysql'] as const) {
      const all = storeFor(engine).hotSql();
      expect(new Set(all.map((s) => s.name)).size).toBe(all.length);
      for (const s of all) expect(s.sql).toMatch(/^\s*(select|update|insert)\b/i);
    }
  });

  it('shows the engine differences it exists for', () => {
    const [sqlite, postgres, mysql] = (['sqlite', 'postgres', 'mysql'] as const).map(hotSqlSnapshot);
    // MySQL has no RETURNING: the seq bump reads the head after it.
    expect(mysql).not.toMatch(/returning/i);
    expect(mysql).toContain('-- lastSeq');
    expect(postgres).toMatch(/-- bumpSeq\nupdate "msg_conversations" .* returning "last_seq"/);
    // Only SQLite runs a prepared statement per row and reads send contexts one by one.
    expect(sqlite).toContain('-- advanceRead');
    expect(postgres).not.toContain('-- advanceRead');
    expect(postgres).toContain('for update');
    expect(sqlite).not.toContain('for update');
  });
});
