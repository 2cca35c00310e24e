import type { Kysely, Migration } from 'kysely';

/** The push module's tables, on every engine (flags are 0/1 integers). */
export const pushMigrations: Record<string, Migration> = {
  '0001_push': {
    async up(db: Kysely<unknown>) {
      // One subscription per session: a session's new subscription replaces its old one, and
      // the session's end deletes it.
      await db.schema
        .createTable('push_subscriptions')
        .addColumn('id', 'bigint', (c) => c.primaryKey())
        .addColumn('user_id', 'bigint', (c) => c.notNull())
        .addColumn('session_id', 'bigint', (c) => c.notNull())
        .addColumn('client_type', 'varchar(16)', (c) => c.notNull())
        .addColumn('device_name', 'varchar(64)', (c) => c.notNull())
        .addColumn('endpoint_hash', 'char(64)', (c) => c.notNull())
        .addColumn('endpoint', 'text', (c) => c.notNull())
        .addColumn('p256dh', 'varchar(100)', (c) => c.notNull())
        .addColumn('auth', 'varchar(40)', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('last_ok_at', 'bigint', (c) => c.notNull().defaultTo(0))
        .addColumn('failures', 'integer', (c) => c.notNull().defaultTo(0))
        .execute();
      await db.schema
        .createIndex('push_subscriptions_endpoint_uq')
        .on('push_subscriptions')
        .column('endpoint_hash')
        .unique()
        .execute();
      await db.schema
        .createIndex('push_subscriptions_session_uq')
        .on('push_subscriptions')
        .column('session_id')
        .unique()
        .execute();
      await db.schema
        .createIndex('push_subscriptions_user_idx')
        .on('push_subscriptions')
        .column('user_id')
        .execute();

      await db.schema
        .createTable('push_settings')
        .addColumn('user_id', 'bigint', (c) => c.primaryKey())
        .addColumn('preview', 'integer', (c) => c.notNull())
        .addColumn('dnd_enabled', 'integer', (c) => c.notNull())
        .addColumn('dnd_start', 'integer', (c) => c.notNull())
        .addColumn('dnd_end', 'integer', (c) => c.notNull())
        .addColumn('time_zone', 'varchar(64)', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();

      // Pushes held by do-not-disturb, one per (user, topic): a newer one replaces the older.
      await db.schema
        .createTable('push_held')
        .addColumn('user_id', 'bigint', (c) => c.notNull())
        .addColumn('topic', 'varchar(40)', (c) => c.notNull())
        .addColumn('payload', 'text', (c) => c.notNull())
        .addColumn('urgency', 'varchar(8)', (c) => c.notNull())
        .addColumn('release_at', 'bigint', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('push_held_pk', ['user_id', 'topic'])
        .execute();
      await db.schema.createIndex('push_held_release_idx').on('push_held').column('release_at').execute();
    },
    async down(db: Kysely<unknown>) {
      for (const t of ['push_held', 'push_settings', 'push_subscriptions'])
        await db.schema.dropTable(t).execute();
    },
  },
};
