import type { Kysely, Migration } from 'kysely';

/**
 * The keys service's tables, one schema for every engine: public identity keys, device keys
 * with their signatures, and one opaque backup per account. Nothing here is secret.
 */
export const keysMigrations: Record<string, Migration> = {
  '0001_keys': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('keys_identities')
        .addColumn('user_id', 'bigint', (c) => c.primaryKey())
        .addColumn('identity_key', 'varchar(64)', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('keys_devices')
        .addColumn('user_id', 'bigint', (c) => c.notNull())
        .addColumn('device_id', 'varchar(32)', (c) => c.notNull())
        .addColumn('public_key', 'varchar(64)', (c) => c.notNull())
        .addColumn('signature', 'varchar(128)', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('keys_devices_pk', ['user_id', 'device_id'])
        .execute();
      await db.schema
        .createTable('keys_backups')
        .addColumn('user_id', 'bigint', (c) => c.primaryKey())
        .addColumn('data', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();
    },
    async down(db: Kysely<unknown>) {
      for (const t of ['keys_backups', 'keys_devices', 'keys_identities'])
        await db.schema.dropTable(t).execute();
    },
  },
  /** A removed device's key stays, marked removed (docs/security.md, section 5). */
  '0002_keys_removed_devices': {
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable('keys_devices').addColumn('removed_at', 'bigint').execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.alterTable('keys_devices').dropColumn('removed_at').execute();
    },
  },
};
