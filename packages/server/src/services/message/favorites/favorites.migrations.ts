import type { Kysely, Migration } from 'kysely';

/**
 * The favourites' table (收藏), owned by the favourites part of the message module and
 * migrated on its own (`fav_migrations`). One row per saved message: the content as saved
 * (its files the user's own copies), where it came from, tags, and the text searched.
 */
export const favoritesMigrations: Record<string, Migration> = {
  '0001_favorites': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('favorites')
        .addColumn('id', 'bigint', (c) => c.primaryKey())
        .addColumn('user_id', 'bigint', (c) => c.notNull())
        .addColumn('kind', 'varchar(32)', (c) => c.notNull())
        .addColumn('content', 'text', (c) => c.notNull())
        // Lower-cased text, file names and tags, for the search (a favourite list is small).
        .addColumn('search_text', 'text', (c) => c.notNull())
        .addColumn('tags', 'varchar(512)', (c) => c.notNull().defaultTo(''))
        // The user's copies the favourite holds, comma-separated.
        .addColumn('media_ids', 'varchar(512)', (c) => c.notNull().defaultTo(''))
        .addColumn('conv_id', 'bigint', (c) => c.notNull())
        .addColumn('seq', 'bigint', (c) => c.notNull())
        .addColumn('sender_id', 'bigint', (c) => c.notNull())
        .addColumn('sent_at', 'bigint', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('favorites_user_idx').on('favorites').columns(['user_id', 'id']).execute();
      // Saving the same message twice finds the first favourite.
      await db.schema
        .createIndex('favorites_source_uq')
        .on('favorites')
        .columns(['user_id', 'conv_id', 'seq'])
        .unique()
        .execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropTable('favorites').execute();
    },
  },
};
