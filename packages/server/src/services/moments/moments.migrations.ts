import type { Kysely, Migration } from 'kysely';

/**
 * The moments service's tables, written once with Kysely's schema builder for every engine.
 * WeChat's four stores: the posts (with their audiences), each author's album (the posts by
 * author), each viewer's timeline of pointers, and likes and comments; plus the fan-out
 * outbox, notices, settings and per-person filters.
 */
export const momentsMigrations: Record<string, Migration> = {
  '0001_moments': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('moments_posts')
        .addColumn('id', 'bigint', (c) => c.primaryKey())
        .addColumn('author_id', 'bigint', (c) => c.notNull())
        .addColumn('client_id', 'varchar(64)')
        .addColumn('text', 'text', (c) => c.notNull())
        .addColumn('media', 'text', (c) => c.notNull())
        .addColumn('location', 'varchar(100)', (c) => c.notNull().defaultTo(''))
        .addColumn('link_url', 'varchar(2048)', (c) => c.notNull().defaultTo(''))
        .addColumn('link_title', 'varchar(200)', (c) => c.notNull().defaultTo(''))
        .addColumn('audience', 'integer', (c) => c.notNull())
        .addColumn('mentions', 'varchar(256)', (c) => c.notNull().defaultTo(''))
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();
      // The album: one author's posts, newest first.
      await db.schema
        .createIndex('moments_posts_author_idx')
        .on('moments_posts')
        .columns(['author_id', 'id'])
        .execute();
      // A retried publish finds the first one (NULLs never collide).
      await db.schema
        .createIndex('moments_posts_client_uq')
        .on('moments_posts')
        .columns(['author_id', 'client_id'])
        .unique()
        .execute();

      // The people an AUDIENCE_ONLY or AUDIENCE_EXCEPT post lists.
      await db.schema
        .createTable('moments_audience')
        .addColumn('moment_id', 'bigint', (c) => c.notNull())
        .addColumn('user_id', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('moments_audience_pk', ['moment_id', 'user_id'])
        .execute();

      // Each viewer's feed: pointers written by the fan-out (push) or by a pull on read.
      await db.schema
        .createTable('moments_timeline')
        .addColumn('viewer_id', 'bigint', (c) => c.notNull())
        .addColumn('moment_id', 'bigint', (c) => c.notNull())
        .addColumn('author_id', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('moments_timeline_pk', ['viewer_id', 'moment_id'])
        .execute();
      await db.schema
        .createIndex('moments_timeline_moment_idx')
        .on('moments_timeline')
        .column('moment_id')
        .execute();

      // Posts whose pointers are not written yet; taken by the worker with a lease.
      await db.schema
        .createTable('moments_outbox')
        .addColumn('moment_id', 'bigint', (c) => c.primaryKey())
        .addColumn('author_id', 'bigint', (c) => c.notNull())
        .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('run_after', 'bigint', (c) => c.notNull())
        .addColumn('locked_until', 'bigint', (c) => c.notNull().defaultTo(0))
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('moments_likes')
        .addColumn('moment_id', 'bigint', (c) => c.notNull())
        .addColumn('user_id', 'bigint', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('moments_likes_pk', ['moment_id', 'user_id'])
        .execute();

      await db.schema
        .createTable('moments_comments')
        .addColumn('id', 'bigint', (c) => c.primaryKey())
        .addColumn('moment_id', 'bigint', (c) => c.notNull())
        .addColumn('author_id', 'bigint', (c) => c.notNull())
        .addColumn('reply_to_comment_id', 'bigint')
        .addColumn('reply_to_user_id', 'bigint')
        .addColumn('text', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('moments_comments_moment_idx')
        .on('moments_comments')
        .columns(['moment_id', 'id'])
        .execute();

      await db.schema
        .createTable('moments_notices')
        .addColumn('id', 'bigint', (c) => c.primaryKey())
        .addColumn('user_id', 'bigint', (c) => c.notNull())
        .addColumn('kind', 'integer', (c) => c.notNull())
        .addColumn('moment_id', 'bigint', (c) => c.notNull())
        .addColumn('actor_id', 'bigint', (c) => c.notNull())
        .addColumn('comment_id', 'bigint')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('moments_notices_user_idx')
        .on('moments_notices')
        .columns(['user_id', 'id'])
        .execute();
      await db.schema
        .createIndex('moments_notices_moment_idx')
        .on('moments_notices')
        .columns(['moment_id', 'comment_id'])
        .execute();

      await db.schema
        .createTable('moments_settings')
        .addColumn('user_id', 'bigint', (c) => c.primaryKey())
        .addColumn('album_window', 'integer', (c) => c.notNull())
        .addColumn('stranger_access', 'integer', (c) => c.notNull())
        .addColumn('cover', 'text')
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('moments_filters')
        .addColumn('user_id', 'bigint', (c) => c.notNull())
        .addColumn('kind', 'integer', (c) => c.notNull())
        .addColumn('other_id', 'bigint', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('moments_filters_pk', ['user_id', 'kind', 'other_id'])
        .execute();
      // "Who hides from me": the reverse lookup of a viewer's feed.
      await db.schema
        .createIndex('moments_filters_other_idx')
        .on('moments_filters')
        .columns(['other_id', 'kind'])
        .execute();

      await db.schema
        .createTable('moments_readers')
        .addColumn('user_id', 'bigint', (c) => c.primaryKey())
        .addColumn('active_at', 'bigint', (c) => c.notNull())
        .addColumn('pulled_at', 'bigint', (c) => c.notNull())
        .addColumn('notices_read_id', 'bigint', (c) => c.notNull().defaultTo(0))
        .execute();
      // The fan-out asks which of an author's friends read their feed lately.
      await db.schema
        .createIndex('moments_readers_active_idx')
        .on('moments_readers')
        .columns(['active_at'])
        .execute();
    },
    async down(db: Kysely<unknown>) {
      for (const t of [
        'moments_readers',
        'moments_filters',
        'moments_settings',
        'moments_notices',
        'moments_comments',
        'moments_likes',
        'moments_outbox',
        'moments_timeline',
        'moments_audience',
        'moments_posts',
      ]) {
        await db.schema.dropTable(t).execute();
      }
    },
  },
  '0002_audience_tags': {
    async up(db: Kysely<unknown>) {
      // The author's friend tags an only/except list was made from (shown to the author).
      await db.schema
        .alterTable('moments_posts')
        .addColumn('audience_tags', 'varchar(512)', (c) => c.notNull().defaultTo(''))
        .execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.alterTable('moments_posts').dropColumn('audience_tags').execute();
    },
  },
  '0003_post_version': {
    async up(db: Kysely<unknown>) {
      // Tells a reader whether its cached copy of a post's likes and comments is current.
      await db.schema
        .alterTable('moments_posts')
        .addColumn('version', 'bigint', (c) => c.notNull().defaultTo(0))
        .execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.alterTable('moments_posts').dropColumn('version').execute();
    },
  },
};
