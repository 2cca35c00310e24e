import type { Kysely, Migration } from 'kysely';

/** The console's tables: the audit log (insert only), the reports queue and system notices. */
export const adminMigrations: Record<string, Migration> = {
  '0001_audit_reports_notices': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('admin_audit')
        .addColumn('id', 'bigint', (c) => c.primaryKey())
        .addColumn('actor_id', 'bigint', (c) => c.notNull())
        .addColumn('action', 'varchar(48)', (c) => c.notNull())
        .addColumn('target', 'varchar(96)', (c) => c.notNull())
        .addColumn('reason', 'varchar(1000)', (c) => c.notNull())
        .addColumn('request_id', 'varchar(128)', (c) => c.notNull())
        .addColumn('at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('admin_audit_actor_idx')
        .on('admin_audit')
        .columns(['actor_id', 'id'])
        .execute();
      await db.schema
        .createIndex('admin_audit_target_idx')
        .on('admin_audit')
        .columns(['target', 'id'])
        .execute();

      await db.schema
        .createTable('admin_reports')
        .addColumn('id', 'bigint', (c) => c.primaryKey())
        .addColumn('kind', 'varchar(32)', (c) => c.notNull())
        .addColumn('target_id', 'varchar(96)', (c) => c.notNull())
        .addColumn('reporter_id', 'bigint', (c) => c.notNull())
        .addColumn('reason', 'varchar(1000)', (c) => c.notNull())
        // The snapshot, as JSON: author, text, detail, when it was written.
        .addColumn('snapshot', 'text', (c) => c.notNull())
        .addColumn('status', 'smallint', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('resolved_by', 'bigint')
        .addColumn('resolution', 'varchar(1000)')
        .addColumn('resolved_at', 'bigint')
        .execute();
      await db.schema
        .createIndex('admin_reports_status_idx')
        .on('admin_reports')
        .columns(['status', 'id'])
        .execute();
      await db.schema
        .createIndex('admin_reports_target_idx')
        .on('admin_reports')
        .columns(['kind', 'target_id', 'reporter_id'])
        .execute();

      await db.schema
        .createTable('admin_notices')
        .addColumn('id', 'bigint', (c) => c.primaryKey())
        .addColumn('title', 'varchar(200)', (c) => c.notNull())
        .addColumn('body', 'text', (c) => c.notNull())
        .addColumn('author_id', 'bigint', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropTable('admin_notices').execute();
      await db.schema.dropTable('admin_reports').execute();
      await db.schema.dropTable('admin_audit').execute();
    },
  },
  '0002_cursors': {
    async up(db: Kysely<unknown>) {
      // Where the console's catch-up with another service's records stands (one row each).
      await db.schema
        .createTable('admin_cursors')
        .addColumn('name', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('position', 'varchar(32)', (c) => c.notNull())
        .execute();
      await (db as Kysely<{ admin_cursors: { name: string; position: string } }>)
        .insertInto('admin_cursors')
        .values({ name: 'square_reports', position: '' })
        .execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropTable('admin_cursors').execute();
    },
  },
};
