import type { Kysely, Migration } from 'kysely';

/**
 * The contacts service's tables. Written once with Kysely's schema builder; runs on every
 * engine. Flags are integers (0/1): better-sqlite3 cannot bind booleans.
 */
export const contactsMigrations: Record<string, Migration> = {
  '0001_contacts': {
    async up(db: Kysely<unknown>) {
      // One row per ordered pair (from, to): a second request updates it instead of piling up.
      await db.schema
        .createTable('contacts_friend_requests')
        .addColumn('id', 'bigint', (c) => c.primaryKey())
        .addColumn('from_id', 'bigint', (c) => c.notNull())
        .addColumn('to_id', 'bigint', (c) => c.notNull())
        .addColumn('note', 'varchar(200)', (c) => c.notNull().defaultTo(''))
        .addColumn('state', 'integer', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('contacts_friend_requests_pair_uq')
        .on('contacts_friend_requests')
        .columns(['from_id', 'to_id'])
        .unique()
        .execute();
      await db.schema
        .createIndex('contacts_friend_requests_to_idx')
        .on('contacts_friend_requests')
        .columns(['to_id', 'state'])
        .execute();

      // A friendship is two rows, one per side: each side has its own remark.
      await db.schema
        .createTable('contacts_friends')
        .addColumn('user_id', 'bigint', (c) => c.notNull())
        .addColumn('friend_id', 'bigint', (c) => c.notNull())
        .addColumn('remark', 'varchar(32)', (c) => c.notNull().defaultTo(''))
        .addColumn('conversation_id', 'bigint')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('contacts_friends_pk', ['user_id', 'friend_id'])
        .execute();

      await db.schema
        .createTable('contacts_blocks')
        .addColumn('user_id', 'bigint', (c) => c.notNull())
        .addColumn('blocked_id', 'bigint', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('contacts_blocks_pk', ['user_id', 'blocked_id'])
        .execute();
      await db.schema
        .createIndex('contacts_blocks_blocked_idx')
        .on('contacts_blocks')
        .column('blocked_id')
        .execute();

      // The group id is also its conversation's id in the message service.
      await db.schema
        .createTable('contacts_groups')
        .addColumn('id', 'bigint', (c) => c.primaryKey())
        .addColumn('name', 'varchar(64)', (c) => c.notNull())
        .addColumn('announcement', 'text', (c) => c.notNull())
        .addColumn('owner_id', 'bigint', (c) => c.notNull())
        .addColumn('muted_all', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('contacts_group_members')
        .addColumn('group_id', 'bigint', (c) => c.notNull())
        .addColumn('user_id', 'bigint', (c) => c.notNull())
        .addColumn('role', 'integer', (c) => c.notNull())
        .addColumn('muted_until', 'bigint', (c) => c.notNull().defaultTo(0))
        .addColumn('joined_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('contacts_group_members_pk', ['group_id', 'user_id'])
        .execute();
      await db.schema
        .createIndex('contacts_group_members_user_idx')
        .on('contacts_group_members')
        .column('user_id')
        .execute();

      // Invite links are stored only as SHA-256 hashes of their tokens.
      await db.schema
        .createTable('contacts_group_invites')
        .addColumn('token_hash', 'char(64)', (c) => c.primaryKey())
        .addColumn('group_id', 'bigint', (c) => c.notNull())
        .addColumn('created_by', 'bigint', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('contacts_group_invites_group_idx')
        .on('contacts_group_invites')
        .column('group_id')
        .execute();

      // Conversations whose state the message service may not have yet ('d:<lo>:<hi>' for a
      // pair, 'g:<id>' for a group). Written in the same transaction as the change, removed
      // once the message service took the full state; a repair loop retries the rest.
      await db.schema
        .createTable('contacts_pending_sync')
        .addColumn('sync_key', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('token', 'varchar(32)', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();
    },
    async down(db: Kysely<unknown>) {
      for (const t of [
        'contacts_pending_sync',
        'contacts_group_invites',
        'contacts_group_members',
        'contacts_groups',
        'contacts_blocks',
        'contacts_friends',
        'contacts_friend_requests',
      ]) {
        await db.schema.dropTable(t).execute();
      }
    },
  },
  '0002_group_removals': {
    async up(db: Kysely<unknown>) {
      // When each person was last removed from a group: an invite link made before that
      // does not let them back in (the admins removed them knowing the links they had made).
      await db.schema
        .createTable('contacts_group_removals')
        .addColumn('group_id', 'bigint', (c) => c.notNull())
        .addColumn('user_id', 'bigint', (c) => c.notNull())
        .addColumn('removed_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('contacts_group_removals_pk', ['group_id', 'user_id'])
        .execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropTable('contacts_group_removals').execute();
    },
  },
  '0003_friend_tags': {
    async up(db: Kysely<unknown>) {
      // Friend tags (contacts.tags.ts): a name unique per owner, and the friends put in it.
      await db.schema
        .createTable('contacts_tags')
        .addColumn('id', 'bigint', (c) => c.primaryKey())
        .addColumn('owner_id', 'bigint', (c) => c.notNull())
        .addColumn('name', 'varchar(80)', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addUniqueConstraint('contacts_tags_owner_name', ['owner_id', 'name'])
        .execute();
      await db.schema
        .createTable('contacts_tag_members')
        .addColumn('tag_id', 'bigint', (c) => c.notNull())
        .addColumn('friend_id', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('contacts_tag_members_pk', ['tag_id', 'friend_id'])
        .execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropTable('contacts_tag_members').execute();
      await db.schema.dropTable('contacts_tags').execute();
    },
  },
  '0003_group_avatars': {
    async up(db: Kysely<unknown>) {
      // The group's picture: a path served by the gateway (contracts/avatars.ts), or ''.
      await db.schema
        .alterTable('contacts_groups')
        .addColumn('avatar_url', 'varchar(1024)', (c) => c.notNull().defaultTo(''))
        .execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.alterTable('contacts_groups').dropColumn('avatar_url').execute();
    },
  },
};
