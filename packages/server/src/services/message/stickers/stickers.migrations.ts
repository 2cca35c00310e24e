import type { Kysely, Migration } from 'kysely';

/**
 * The stickers' tables (表情包), owned by the stickers part of the message module and migrated
 * on their own (`stk_migrations`). A user's sticker names the user's own copy of an image
 * (held in media); a pack's items name the pack's own copies of the installer's images (held by the pack).
 */
export const stickersMigrations: Record<string, Migration> = {
  '0001_stickers': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('stickers')
        .addColumn('id', 'bigint', (c) => c.primaryKey())
        .addColumn('user_id', 'bigint', (c) => c.notNull())
        .addColumn('media_id', 'bigint', (c) => c.notNull())
        // The picker's order, ascending; a new sticker goes first.
        .addColumn('position', 'bigint', (c) => c.notNull())
        // MediaRef as protobuf JSON (type, size, dimensions, placeholder).
        .addColumn('image', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();
      // The same bytes are one copy per owner in media, so one sticker per copy dedupes by content.
      await db.schema
        .createIndex('stickers_media_uq')
        .on('stickers')
        .columns(['user_id', 'media_id'])
        .unique()
        .execute();
      await db.schema
        .createTable('sticker_packs')
        .addColumn('id', 'bigint', (c) => c.primaryKey())
        .addColumn('name', 'varchar(160)', (c) => c.notNull())
        .addColumn('installer_id', 'bigint', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('sticker_pack_items')
        .addColumn('id', 'bigint', (c) => c.primaryKey())
        .addColumn('pack_id', 'bigint', (c) => c.notNull())
        .addColumn('position', 'integer', (c) => c.notNull())
        .addColumn('media_id', 'bigint', (c) => c.notNull())
        .addColumn('image', 'text', (c) => c.notNull())
        .addColumn('emoji', 'varchar(64)', (c) => c.notNull().defaultTo(''))
        .execute();
      await db.schema
        .createIndex('sticker_pack_items_pack_idx')
        .on('sticker_pack_items')
        .columns(['pack_id', 'position'])
        .execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropTable('sticker_pack_items').execute();
      await db.schema.dropTable('sticker_packs').execute();
      await db.schema.dropTable('stickers').execute();
    },
  },
};
