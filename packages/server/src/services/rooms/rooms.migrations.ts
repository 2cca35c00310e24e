import type { Kysely, Migration } from 'kysely';

/**
 * The rooms service's tables, written once with Kysely's schema builder for every engine: the
 * room with its one playback-state row ("position p at server time t", a version), its
 * members and its queue.
 */
export const roomsMigrations: Record<string, Migration> = {
  '0001_rooms': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('rooms_rooms')
        .addColumn('id', 'bigint', (c) => c.primaryKey())
        .addColumn('conversation_id', 'bigint', (c) => c.notNull())
        .addColumn('creator_id', 'bigint', (c) => c.notNull())
        .addColumn('client_msg_id', 'varchar(64)', (c) => c.notNull())
        .addColumn('title', 'varchar(255)', (c) => c.notNull())
        .addColumn('host_id', 'bigint', (c) => c.notNull())
        .addColumn('mode', 'integer', (c) => c.notNull())
        .addColumn('entry_id', 'bigint', (c) => c.notNull())
        .addColumn('playing', 'integer', (c) => c.notNull())
        .addColumn('position_ms', 'bigint', (c) => c.notNull())
        .addColumn('at_server_ms', 'bigint', (c) => c.notNull())
        .addColumn('rate_milli', 'integer', (c) => c.notNull())
        .addColumn('version', 'bigint', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('empty_since', 'bigint')
        .addColumn('closed_at', 'bigint')
        .execute();
      // A retried CreateRoom finds the first room.
      await db.schema
        .createIndex('rooms_rooms_client_uq')
        .on('rooms_rooms')
        .columns(['creator_id', 'client_msg_id'])
        .unique()
        .execute();

      await db.schema
        .createTable('rooms_members')
        .addColumn('room_id', 'bigint', (c) => c.notNull())
        .addColumn('user_id', 'bigint', (c) => c.notNull())
        .addColumn('joined_at', 'bigint', (c) => c.notNull())
        .addColumn('delay_ms', 'integer', (c) => c.notNull())
        .addPrimaryKeyConstraint('rooms_members_pk', ['room_id', 'user_id'])
        .execute();
      await db.schema.createIndex('rooms_members_user_idx').on('rooms_members').column('user_id').execute();

      await db.schema
        .createTable('rooms_queue')
        .addColumn('id', 'bigint', (c) => c.primaryKey())
        .addColumn('room_id', 'bigint', (c) => c.notNull())
        .addColumn('media_id', 'bigint', (c) => c.notNull())
        .addColumn('added_by', 'bigint', (c) => c.notNull())
        .addColumn('title', 'varchar(255)', (c) => c.notNull())
        .addColumn('artist', 'varchar(255)', (c) => c.notNull())
        .addColumn('mime', 'varchar(100)', (c) => c.notNull())
        .addColumn('duration_ms', 'integer', (c) => c.notNull())
        .addColumn('ord', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('rooms_queue_room_idx')
        .on('rooms_queue')
        .columns(['room_id', 'ord'])
        .execute();
    },
    async down(db: Kysely<unknown>) {
      for (const t of ['rooms_queue', 'rooms_members', 'rooms_rooms']) await db.schema.dropTable(t).execute();
    },
  },
  // What each member's player reported (idle, listening, buffering), and whether the current
  // state already waited for a buffering member (the wait happens once per command).
  '0002_rooms_listening': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .alterTable('rooms_members')
        .addColumn('listening', 'integer', (c) => c.notNull().defaultTo(0))
        .execute();
      await db.schema
        .alterTable('rooms_rooms')
        .addColumn('held', 'integer', (c) => c.notNull().defaultTo(0))
        .execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.alterTable('rooms_rooms').dropColumn('held').execute();
      await db.schema.alterTable('rooms_members').dropColumn('listening').execute();
    },
  },
};
