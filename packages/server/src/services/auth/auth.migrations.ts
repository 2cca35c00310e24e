import type { Kysely, Migration } from 'kysely';

/** The auth service's tables. Written once with Kysely's schema builder; runs on every engine. */
export const authMigrations: Record<string, Migration> = {
  '0001_users_sessions': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('auth_users')
        .addColumn('id', 'bigint', (c) => c.primaryKey())
        .addColumn('email', 'varchar(254)')
        .addColumn('phone', 'varchar(20)')
        .addColumn('password_hash', 'varchar(255)', (c) => c.notNull())
        .addColumn('nickname', 'varchar(128)', (c) => c.notNull())
        .addColumn('signature', 'varchar(512)', (c) => c.notNull().defaultTo(''))
        .addColumn('avatar_url', 'varchar(1024)', (c) => c.notNull().defaultTo(''))
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();
      // NULLs never collide in a unique index on any of the three engines, so an
      // account may have an email, a phone, or both.
      await db.schema.createIndex('auth_users_email_uq').on('auth_users').column('email').unique().execute();
      await db.schema.createIndex('auth_users_phone_uq').on('auth_users').column('phone').unique().execute();

      await db.schema
        .createTable('auth_sessions')
        .addColumn('id', 'bigint', (c) => c.primaryKey())
        .addColumn('user_id', 'bigint', (c) => c.notNull())
        .addColumn('client_type', 'varchar(16)', (c) => c.notNull())
        .addColumn('device_id', 'varchar(64)', (c) => c.notNull())
        .addColumn('device_name', 'varchar(128)', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('last_active_at', 'bigint', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .addColumn('revoked_at', 'bigint')
        .addColumn('revoke_reason', 'varchar(32)')
        .execute();
      await db.schema
        .createIndex('auth_sessions_user_idx')
        .on('auth_sessions')
        .columns(['user_id', 'revoked_at'])
        .execute();

      // Refresh tokens are stored only as SHA-256 hashes. A used token stays (used_at set)
      // until its session ends, so presenting it again is recognised as reuse.
      await db.schema
        .createTable('auth_refresh_tokens')
        .addColumn('token_hash', 'char(64)', (c) => c.primaryKey())
        .addColumn('session_id', 'bigint', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('used_at', 'bigint')
        .execute();
      await db.schema
        .createIndex('auth_refresh_tokens_session_idx')
        .on('auth_refresh_tokens')
        .column('session_id')
        .execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropTable('auth_refresh_tokens').execute();
      await db.schema.dropTable('auth_sessions').execute();
      await db.schema.dropTable('auth_users').execute();
    },
  },
  // Refilling the kv's revocation list reads the sessions ended within the last access-token
  // lifetime, at every start and after the kv lost its contents: a range on revoked_at.
  '0002_sessions_revoked_at_idx': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createIndex('auth_sessions_revoked_idx')
        .on('auth_sessions')
        .column('revoked_at')
        .execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropIndex('auth_sessions_revoked_idx').on('auth_sessions').execute();
    },
  },
  // Password tries per address or user (hashed), in SQL so a pause survives a restart of an
  // all-in-one server, whose kv is in memory.
  '0003_attempts': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('auth_attempts')
        .addColumn('key_hash', 'char(64)', (c) => c.primaryKey())
        .addColumn('tries', 'integer', (c) => c.notNull())
        .addColumn('window_ends', 'bigint', (c) => c.notNull())
        .execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropTable('auth_attempts').execute();
    },
  },
  // The operator's console: an account's role there (0 none, 1 moderator, 2 admin) and whether
  // an operator disabled it. A row exists only for accounts with one of the two.
  '0004_account_flags': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('auth_account_flags')
        .addColumn('user_id', 'bigint', (c) => c.primaryKey())
        .addColumn('role', 'smallint', (c) => c.notNull().defaultTo(0))
        .addColumn('disabled_at', 'bigint')
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropTable('auth_account_flags').execute();
    },
  },
};
