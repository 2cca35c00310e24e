import type { Kysely, Migration } from 'kysely';

/** The media service's tables. Written once with Kysely's schema builder; runs on every engine. */
export const mediaMigrations: Record<string, Migration> = {
  '0001_media': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('media_files')
        .addColumn('id', 'bigint', (c) => c.primaryKey())
        .addColumn('owner_id', 'bigint', (c) => c.notNull())
        .addColumn('kind', 'smallint', (c) => c.notNull())
        .addColumn('status', 'smallint', (c) => c.notNull())
        .addColumn('mime', 'varchar(127)', (c) => c.notNull())
        .addColumn('size', 'bigint', (c) => c.notNull())
        .addColumn('sha256', 'char(64)', (c) => c.notNull())
        .addColumn('name', 'varchar(255)', (c) => c.notNull())
        .addColumn('blob_key', 'varchar(255)', (c) => c.notNull())
        .addColumn('thumb_key', 'varchar(255)')
        .addColumn('poster_key', 'varchar(255)')
        .addColumn('width', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('height', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('duration_ms', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('waveform', 'varchar(1024)', (c) => c.notNull().defaultTo(''))
        .addColumn('placeholder', 'varchar(2048)', (c) => c.notNull().defaultTo(''))
        .addColumn('error', 'varchar(255)', (c) => c.notNull().defaultTo(''))
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addColumn('deleted_at', 'bigint')
        .execute();
      await db.schema
        .createIndex('media_files_owner_sha_idx')
        .on('media_files')
        .columns(['owner_id', 'sha256'])
        .execute();

      // upload id -> file, so finishing an upload twice (a lost response) gives the same file.
      await db.schema
        .createTable('media_uploads')
        .addColumn('upload_id', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('media_id', 'bigint', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();

      // A message that carries a file: its members may download it (asked of the message service).
      await db.schema
        .createTable('media_grants')
        .addColumn('media_id', 'bigint', (c) => c.notNull())
        .addColumn('conv_id', 'bigint', (c) => c.notNull())
        .addColumn('sender_id', 'bigint', (c) => c.notNull())
        .addColumn('client_msg_id', 'varchar(64)', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('media_grants_pk', ['media_id', 'conv_id', 'sender_id', 'client_msg_id'])
        .execute();

      await db.schema
        .createTable('media_drive')
        .addColumn('id', 'bigint', (c) => c.primaryKey())
        .addColumn('owner_id', 'bigint', (c) => c.notNull())
        .addColumn('parent_id', 'bigint', (c) => c.notNull())
        .addColumn('is_folder', 'smallint', (c) => c.notNull())
        .addColumn('name', 'varchar(255)', (c) => c.notNull())
        .addColumn('media_id', 'bigint')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('media_drive_name_uq')
        .on('media_drive')
        .columns(['owner_id', 'parent_id', 'name'])
        .unique()
        .execute();
      await db.schema.createIndex('media_drive_media_idx').on('media_drive').column('media_id').execute();

      // The background job queue: claimed with a lease, so a job whose worker died runs again.
      await db.schema
        .createTable('media_jobs')
        .addColumn('id', 'bigint', (c) => c.primaryKey())
        .addColumn('kind', 'varchar(32)', (c) => c.notNull())
        .addColumn('media_id', 'bigint', (c) => c.notNull())
        .addColumn('payload', 'varchar(2048)', (c) => c.notNull())
        .addColumn('state', 'smallint', (c) => c.notNull())
        .addColumn('attempts', 'integer', (c) => c.notNull())
        .addColumn('run_after', 'bigint', (c) => c.notNull())
        .addColumn('locked_until', 'bigint', (c) => c.notNull())
        .addColumn('last_error', 'varchar(512)', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('media_jobs_due_idx')
        .on('media_jobs')
        .columns(['state', 'run_after'])
        .execute();
    },
    async down(db: Kysely<unknown>) {
      for (const t of ['media_jobs', 'media_drive', 'media_grants', 'media_uploads', 'media_files'])
        await db.schema.dropTable(t).execute();
    },
  },
};
