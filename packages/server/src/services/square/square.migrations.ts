import type { Kysely, Migration } from 'kysely';

/**
 * The square's tables, written once with Kysely's schema builder for every engine. Pull-based:
 * lists are read straight from the threads table through indexes that match each sort, so
 * nothing fans out on write.
 */
export const squareMigrations: Record<string, Migration> = {
  '0001_square': {
    async up(db: Kysely<unknown>) {
      const s = db.schema;
      await s
        .createTable('square_boards')
        .addColumn('id', 'bigint', (c) => c.primaryKey())
        .addColumn('name', 'varchar(40)', (c) => c.notNull())
        .addColumn('description', 'varchar(500)', (c) => c.notNull())
        .addColumn('group_id', 'bigint', (c) => c.notNull())
        .addColumn('thread_count', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('created_by', 'bigint', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();
      await s.createIndex('square_boards_group_idx').on('square_boards').column('group_id').execute();

      await s
        .createTable('square_threads')
        .addColumn('id', 'bigint', (c) => c.primaryKey())
        .addColumn('board_id', 'bigint', (c) => c.notNull())
        .addColumn('author_id', 'bigint', (c) => c.notNull())
        .addColumn('title', 'varchar(120)', (c) => c.notNull())
        .addColumn('excerpt', 'varchar(200)', (c) => c.notNull())
        .addColumn('first_post_id', 'bigint', (c) => c.notNull())
        .addColumn('post_seq', 'integer', (c) => c.notNull())
        .addColumn('reply_count', 'integer', (c) => c.notNull())
        .addColumn('like_count', 'integer', (c) => c.notNull())
        .addColumn('hot', 'bigint', (c) => c.notNull())
        .addColumn('pinned', 'integer', (c) => c.notNull())
        .addColumn('locked', 'integer', (c) => c.notNull())
        .addColumn('removed', 'integer', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('last_reply_at', 'bigint', (c) => c.notNull())
        .execute();
      // One index per sort: (board, removed, pinned, key, id) serves the keyset of each.
      for (const [name, key] of [
        ['latest', 'last_reply_at'],
        ['hot', 'hot'],
        ['new', 'id'],
      ] as const)
        await s
          .createIndex(`square_threads_${name}_idx`)
          .on('square_threads')
          .columns(
            key === 'id'
              ? ['board_id', 'removed', 'pinned', 'id']
              : ['board_id', 'removed', 'pinned', key, 'id'],
          )
          .execute();

      await s
        .createTable('square_posts')
        .addColumn('id', 'bigint', (c) => c.primaryKey())
        .addColumn('thread_id', 'bigint', (c) => c.notNull())
        .addColumn('author_id', 'bigint', (c) => c.notNull())
        .addColumn('floor', 'integer', (c) => c.notNull())
        .addColumn('body', 'text', (c) => c.notNull())
        .addColumn('html', 'text', (c) => c.notNull())
        .addColumn('quote_post_id', 'bigint')
        .addColumn('media', 'text', (c) => c.notNull())
        .addColumn('mentions', 'varchar(256)', (c) => c.notNull())
        .addColumn('like_count', 'integer', (c) => c.notNull())
        .addColumn('removed', 'integer', (c) => c.notNull())
        .addColumn('removed_reason', 'varchar(500)', (c) => c.notNull())
        .addColumn('edited_at', 'bigint', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();
      // A thread's pages, by floor (floors are handed out under the thread's row lock).
      await s
        .createIndex('square_posts_thread_uq')
        .on('square_posts')
        .columns(['thread_id', 'floor'])
        .unique()
        .execute();
      // The per-user rate limits count one author's recent posts.
      await s
        .createIndex('square_posts_author_idx')
        .on('square_posts')
        .columns(['author_id', 'created_at'])
        .execute();

      await s
        .createTable('square_post_edits')
        .addColumn('id', 'bigint', (c) => c.primaryKey())
        .addColumn('post_id', 'bigint', (c) => c.notNull())
        .addColumn('body', 'text', (c) => c.notNull())
        .addColumn('edited_at', 'bigint', (c) => c.notNull())
        .execute();
      await s
        .createIndex('square_post_edits_post_idx')
        .on('square_post_edits')
        .columns(['post_id', 'id'])
        .execute();

      for (const [table, key] of [
        ['square_likes', 'post_id'],
        ['square_follows', 'thread_id'],
        ['square_moderators', 'board_id'],
      ] as const)
        await s
          .createTable(table)
          .addColumn(key, 'bigint', (c) => c.notNull())
          .addColumn('user_id', 'bigint', (c) => c.notNull())
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .addPrimaryKeyConstraint(`${table}_pk`, [key, 'user_id'])
          .execute();
      await s.createIndex('square_moderators_user_idx').on('square_moderators').column('user_id').execute();

      await s
        .createTable('square_bans')
        .addColumn('board_id', 'bigint', (c) => c.notNull())
        .addColumn('user_id', 'bigint', (c) => c.notNull())
        .addColumn('until_at', 'bigint', (c) => c.notNull())
        .addColumn('reason', 'varchar(500)', (c) => c.notNull())
        .addColumn('banned_by', 'bigint', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('square_bans_pk', ['board_id', 'user_id'])
        .execute();

      await s
        .createTable('square_reports')
        .addColumn('id', 'bigint', (c) => c.primaryKey())
        .addColumn('reporter_id', 'bigint', (c) => c.notNull())
        .addColumn('board_id', 'bigint', (c) => c.notNull())
        .addColumn('thread_id', 'bigint', (c) => c.notNull())
        .addColumn('post_id', 'bigint', (c) => c.notNull())
        .addColumn('author_id', 'bigint', (c) => c.notNull())
        .addColumn('reason', 'varchar(500)', (c) => c.notNull())
        .addColumn('snapshot', 'text', (c) => c.notNull())
        .addColumn('status', 'integer', (c) => c.notNull())
        .addColumn('resolved_by', 'bigint')
        .addColumn('resolution', 'varchar(500)', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();
      await s
        .createIndex('square_reports_once_uq')
        .on('square_reports')
        .columns(['post_id', 'reporter_id'])
        .unique()
        .execute();
      await s
        .createIndex('square_reports_queue_idx')
        .on('square_reports')
        .columns(['status', 'board_id', 'id'])
        .execute();

      await s
        .createTable('square_admins')
        .addColumn('user_id', 'bigint', (c) => c.primaryKey())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();

      await s
        .createTable('square_keywords')
        .addColumn('word', 'varchar(50)', (c) => c.primaryKey())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();

      await s
        .createTable('square_notices')
        .addColumn('id', 'bigint', (c) => c.primaryKey())
        .addColumn('user_id', 'bigint', (c) => c.notNull())
        .addColumn('kind', 'integer', (c) => c.notNull())
        .addColumn('thread_id', 'bigint', (c) => c.notNull())
        .addColumn('post_id', 'bigint', (c) => c.notNull())
        .addColumn('actor_id', 'bigint', (c) => c.notNull())
        .addColumn('text', 'varchar(500)', (c) => c.notNull())
        .addColumn('removed', 'integer', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();
      await s
        .createIndex('square_notices_user_idx')
        .on('square_notices')
        .columns(['user_id', 'id'])
        .execute();

      await s
        .createTable('square_readers')
        .addColumn('user_id', 'bigint', (c) => c.primaryKey())
        .addColumn('notices_read_id', 'bigint', (c) => c.notNull())
        .execute();
    },
  },
  // Posts to index again (a moved thread's, under its new board): the search feed reads them
  // by id as it reads edits (square.index-feed.ts).
  '0002_square_reindex': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('square_reindex')
        .addColumn('id', 'bigint', (c) => c.primaryKey())
        .addColumn('post_id', 'bigint', (c) => c.notNull())
        .execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropTable('square_reindex').execute();
    },
  },
};
