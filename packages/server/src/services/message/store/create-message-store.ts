import type { Kysely } from 'kysely';
import { sqliteDirectOf, writePoolOf } from '../../../adapters/sql/hot-path.js';
import type { SqlDatabase } from '../../../adapters/sql/sql.js';
import type { MessageTables } from '../message.tables.js';
import type { MessageStore } from './message-store.js';
import { MysqlMessageStore } from './mysql-message-store.js';
import { PostgresMessageStore } from './postgres-message-store.js';
import { SqliteMessageStore } from './sqlite-message-store.js';

/** The message store of `sql`'s engine (see message-store.ts). */
export function createMessageStore(sql: SqlDatabase): MessageStore {
  const db = sql.db as Kysely<MessageTables>;
  switch (sql.engine) {
    case 'sqlite': {
      const direct = sqliteDirectOf(sql);
      if (!direct) throw new Error('the SQLite message store needs a database opened by openSqliteSql');
      return new SqliteMessageStore(db, direct);
    }
    case 'postgres':
      return new PostgresMessageStore(db, writePoolOf(sql) as Kysely<MessageTables>);
    case 'mysql':
      return new MysqlMessageStore(db, writePoolOf(sql) as Kysely<MessageTables>);
  }
}
