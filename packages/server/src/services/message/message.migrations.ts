import type { Kysely, Migration } from 'kysely';
import { messagesByIdMigration } from './message.index-feed.js';
import { messageOpsMigration } from './store/ops-store.js';
import { recordStateMigration } from './record-state.migration.js';

/** The message service's tables. Written once with Kysely's schema builder; runs on every engine. */
export const messageMigrations: Record<string, Migration> = {
  '0001_conversations_messages': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('msg_conversations')
        .addColumn('id', 'bigint', (c) => c.primaryKey())
        .addColumn('type', 'smallint', (c) => c.notNull())
        // "<smaller user id>:<larger user id>" for 1:1 conversations, so each pair has one.
        .addColumn('direct_key', 'varchar(48)')
        .addColumn('name', 'varchar(128)', (c) => c.notNull().defaultTo(''))
        .addColumn('muted_all', 'smallint', (c) => c.notNull().defaultTo(0))
        // The seq of the newest message; bumped in the same transaction as the insert.
        .addColumn('last_seq', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('last_message_at', 'bigint', (c) => c.notNull().defaultTo(0))
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('msg_conversations_direct_uq')
        .on('msg_conversations')
        .column('direct_key')
        .unique()
        .execute();

      await db.schema
        .createTable('msg_members')
        .addColumn('conv_id', 'bigint', (c) => c.notNull())
        .addColumn('user_id', 'bigint', (c) => c.notNull())
        .addColumn('role', 'smallint', (c) => c.notNull().defaultTo(1))
        // 0 may send; 1 not friends; 2 blocked by the other side.
        .addColumn('send_state', 'smallint', (c) => c.notNull().defaultTo(0))
        .addColumn('muted_until', 'bigint', (c) => c.notNull().defaultTo(0))
        // The first seq this member may read, and (once left) the last.
        .addColumn('first_seq', 'integer', (c) => c.notNull().defaultTo(1))
        .addColumn('left_seq', 'integer')
        .addColumn('read_seq', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('delivered_seq', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('muted', 'smallint', (c) => c.notNull().defaultTo(0))
        .addColumn('pinned', 'smallint', (c) => c.notNull().defaultTo(0))
        // The member's update counter (msg_user_state.pts) when this row last changed for them.
        .addColumn('pts', 'integer', (c) => c.notNull().defaultTo(0))
        .addPrimaryKeyConstraint('msg_members_pk', ['conv_id', 'user_id'])
        .execute();
      await db.schema
        .createIndex('msg_members_user_idx')
        .on('msg_members')
        .columns(['user_id', 'pts'])
        .execute();

      await db.schema
        .createTable('msg_messages')
        .addColumn('conv_id', 'bigint', (c) => c.notNull())
        .addColumn('seq', 'integer', (c) => c.notNull())
        .addColumn('id', 'bigint', (c) => c.notNull())
        .addColumn('sender_id', 'bigint', (c) => c.notNull())
        .addColumn('client_msg_id', 'varchar(64)', (c) => c.notNull())
        .addColumn('type', 'smallint', (c) => c.notNull())
        // The MessageContent as protobuf JSON; emptied by a recall.
        .addColumn('content', 'text', (c) => c.notNull())
        .addColumn('reply_to_seq', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('mentions', 'varchar(2048)', (c) => c.notNull().defaultTo(''))
        .addColumn('mention_all', 'smallint', (c) => c.notNull().defaultTo(0))
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('recalled_at', 'bigint')
        .addPrimaryKeyConstraint('msg_messages_pk', ['conv_id', 'seq'])
        .execute();
      // The idempotency key: a retried send finds its original instead of inserting twice.
      await db.schema
        .createIndex('msg_messages_client_uq')
        .on('msg_messages')
        .columns(['sender_id', 'client_msg_id'])
        .unique()
        .execute();

      await db.schema
        .createTable('msg_user_state')
        .addColumn('user_id', 'bigint', (c) => c.primaryKey())
        .addColumn('pts', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('hide_read_receipts', 'smallint', (c) => c.notNull().defaultTo(0))
        .execute();
    },
    async down(db: Kysely<unknown>) {
      for (const t of ['msg_user_state', 'msg_messages', 'msg_members', 'msg_conversations'])
        await db.schema.dropTable(t).execute();
    },
  },
  // Sync reports a conversation whose head moved past the head its member row was stamped at.
  '0002_member_synced_seq': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .alterTable('msg_members')
        .addColumn('synced_seq', 'integer', (c) => c.notNull().defaultTo(0))
        .execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.alterTable('msg_members').dropColumn('synced_seq').execute();
    },
  },
  // Messages by id, for the search indexer's feed (message.index-feed.ts).
  '0003_messages_by_id': messagesByIdMigration,
  // Reactions, edits and pins (message.reactions.ts, message.edit.ts, message.pins.ts).
  '0004_reactions_edits_pins': messageOpsMigration,
  // Delete for me, clear history and drafts (record-state.ts).
  '0004_record_state': recordStateMigration,
};
