import type { Kysely, Migration } from 'kysely';
import type { SqlEngine } from '../../../adapters/sql/sql.js';

/**
 * The link previews' tables, owned by the link-preview part of the message module and
 * migrated on their own (`lpv_migrations`): the cache of fetched pages, shared by every
 * message that links one (keyed by the SHA-256 of the URL), and which message shows which.
 */
export const linkPreviewMigrations = (engine: SqlEngine): Record<string, Migration> => ({
  '0001_link_previews': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('link_previews')
        .addColumn('url_hash', 'varchar(64)', (c) => c.primaryKey())
        // 1: a preview; 0: the page could not be previewed (kept for a short while too).
        .addColumn('ok', 'integer', (c) => c.notNull())
        .addColumn('url', 'varchar(2048)', (c) => c.notNull())
        .addColumn('title', 'varchar(800)', (c) => c.notNull())
        .addColumn('description', 'varchar(1200)', (c) => c.notNull())
        .addColumn('site_name', 'varchar(400)', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('msg_link_previews')
        .addColumn('conv_id', 'bigint', (c) => c.notNull())
        .addColumn('seq', 'bigint', (c) => c.notNull())
        .addColumn('url_hash', 'varchar(64)', (c) => c.notNull())
        .addPrimaryKeyConstraint('msg_link_previews_pk', ['conv_id', 'seq'])
        .execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropTable('msg_link_previews').execute();
      await db.schema.dropTable('link_previews').execute();
    },
  },
  // The page's og:image as a WebP thumbnail (at most 16 KB), null when it has none.
  '0002_link_preview_image': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .alterTable('link_previews')
        .addColumn('image', engine === 'postgres' ? 'bytea' : 'blob')
        .execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.alterTable('link_previews').dropColumn('image').execute();
    },
  },
  // The LINK_PREVIEW event that carried a message's preview (a recall blanks it too).
  '0003_link_preview_event': {
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable('msg_link_previews').addColumn('event_seq', 'bigint').execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.alterTable('msg_link_previews').dropColumn('event_seq').execute();
    },
  },
});
