import { sql, type Kysely, type Migration } from 'kysely';
import type { SqlEngine } from '../../adapters/sql/sql.js';

/**
 * The search index's tables, on any engine (see search.index.ts for how they are used):
 *
 * - `search_docs`: one row per indexed message (or file), with its original text for snippets
 *   and its folded text for the final substring check;
 * - `search_postings`: one row per distinct token of a document, keyed (token, conversation,
 *   seq) so that a token's documents in one conversation are one index range;
 * - `search_state`: the indexer's cursors and lease;
 * - `search_postings_new` (SQLite only): the postings written since the last merge, the same
 *   shape; a small tree that a batch's postings land in, moved into `search_postings` in key
 *   order once it holds `search.mergeEveryDocs` documents (see search.index.ts and search.index-recent.ts).
 *
 * On SQLite the documents have no `search_docs_at` (0004): their key's index finds the row,
 * which holds the time; PostgreSQL and MariaDB keep it (an index-only read of the times).
 *
 * Tokens and folded text compare byte for byte: a case- or accent-insensitive collation
 * (MariaDB's default, a PostgreSQL locale) would merge tokens the tokenizer keeps apart and
 * break prefix ranges.
 */
export function searchMigrations(engine: SqlEngine): Record<string, Migration> {
  const exact = (type: string) =>
    engine === 'mysql'
      ? sql.raw(`${type} character set utf8mb4 collate utf8mb4_bin`)
      : engine === 'postgres'
        ? sql.raw(`${type} collate "C"`)
        : sql.raw(type);
  return {
    '0001_index': {
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable('search_docs')
          .addColumn('conv_id', 'bigint', (c) => c.notNull())
          .addColumn('seq', 'integer', (c) => c.notNull())
          .addColumn('msg_id', 'bigint', (c) => c.notNull())
          .addColumn('sender_id', 'bigint', (c) => c.notNull())
          .addColumn('type', 'smallint', (c) => c.notNull())
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .addColumn('body', 'text', (c) => c.notNull())
          .addColumn('folded', exact('text'), (c) => c.notNull())
          // Media messages: their content (protobuf JSON), so a file hit can be shown and opened.
          .addColumn('content', 'text', (c) => c.notNull())
          .addPrimaryKeyConstraint('search_docs_pk', ['conv_id', 'seq'])
          .execute();
        // The time of each candidate without reading its text: the order of cross-chat results.
        await db.schema
          .createIndex('search_docs_at')
          .on('search_docs')
          .columns(['conv_id', 'seq', 'created_at'])
          .execute();
        let postings = db.schema
          .createTable('search_postings')
          .addColumn('token', exact('varchar(64)'), (c) => c.notNull())
          .addColumn('conv_id', 'bigint', (c) => c.notNull())
          .addColumn('seq', 'integer', (c) => c.notNull())
          .addPrimaryKeyConstraint('search_postings_pk', ['token', 'conv_id', 'seq']);
        // The key is the whole row: SQLite stores it once, as the table itself.
        if (engine === 'sqlite') postings = postings.modifyEnd(sql`without rowid`);
        await postings.execute();
        await db.schema
          .createTable('search_state')
          .addColumn('name', 'varchar(64)', (c) => c.primaryKey())
          .addColumn('value', 'varchar(255)', (c) => c.notNull())
          .execute();
      },
      async down(db: Kysely<unknown>) {
        for (const t of ['search_state', 'search_postings', 'search_docs'])
          await db.schema.dropTable(t).execute();
      },
    },
    // Moments are documents too (search.moments.ts): found again by their post's id.
    '0002_docs_by_id': {
      async up(db: Kysely<unknown>) {
        await db.schema.createIndex('search_docs_msg').on('search_docs').columns(['msg_id']).execute();
      },
      async down(db: Kysely<unknown>) {
        await db.schema.dropIndex('search_docs_msg').on('search_docs').execute();
      },
    },
    // A batch's postings land all over a large tree: a page written per posting (docs/performance.md).
    ...(engine === 'sqlite' && {
      '0003_postings_delta': {
        async up(db: Kysely<unknown>) {
          await db.schema
            .createTable('search_postings_new')
            .addColumn('token', 'varchar(64)', (c) => c.notNull())
            .addColumn('conv_id', 'bigint', (c) => c.notNull())
            .addColumn('seq', 'integer', (c) => c.notNull())
            .addPrimaryKeyConstraint('search_postings_new_pk', ['token', 'conv_id', 'seq'])
            .modifyEnd(sql`without rowid`)
            .execute();
        },
        async down(db: Kysely<unknown>) {
          await db.schema.dropTable('search_postings_new').execute();
        },
      },
      // The documents' second (conv_id, seq) tree: on SQLite the primary key's index already
      // finds a document and its row holds the time, and each index keyed by conversation costs a
      // page write per document of a batch in a grown index (docs/performance.md).
      '0004_docs_one_key': {
        async up(db: Kysely<unknown>) {
          await db.schema.dropIndex('search_docs_at').ifExists().execute();
        },
        async down(db: Kysely<unknown>) {
          await db.schema
            .createIndex('search_docs_at')
            .on('search_docs')
            .columns(['conv_id', 'seq', 'created_at'])
            .execute();
        },
      },
    }),
  };
}
