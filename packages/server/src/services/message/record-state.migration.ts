import type { Kysely, Migration } from 'kysely';

/** Per-member state of delete for me, clear history and drafts: nothing here is seen by others. */
export const recordStateMigration: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .alterTable('msg_members')
      .addColumn('cleared_seq', 'integer', (c) => c.notNull().defaultTo(0))
      .execute();
    await db.schema
      .createTable('msg_hidden')
      .addColumn('conv_id', 'bigint', (c) => c.notNull())
      .addColumn('user_id', 'bigint', (c) => c.notNull())
      .addColumn('seq', 'integer', (c) => c.notNull())
      .addPrimaryKeyConstraint('msg_hidden_pk', ['user_id', 'conv_id', 'seq'])
      .execute();
    await db.schema
      .createTable('msg_drafts')
      .addColumn('conv_id', 'bigint', (c) => c.notNull())
      .addColumn('user_id', 'bigint', (c) => c.notNull())
      .addColumn('text', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('msg_drafts_pk', ['user_id', 'conv_id'])
      .execute();
  },
  async down(db: Kysely<unknown>) {
    await db.schema.dropTable('msg_drafts').execute();
    await db.schema.dropTable('msg_hidden').execute();
    await db.schema.alterTable('msg_members').dropColumn('cleared_seq').execute();
  },
};
