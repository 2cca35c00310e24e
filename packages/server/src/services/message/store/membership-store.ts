import type { Compilable, Insertable, Kysely, Transaction, Updateable } from 'kysely';
import { prepared, slot } from '../../../adapters/sql/prepared.js';
import { asId, asNum } from '../../../adapters/sql/sql.js';
import type { ConversationRow, MemberRow, MessageTables } from '../message.tables.js';
import { toConversation, toMember, type Db, type HotStatement } from './rows.js';

/**
 * The message store's first layer: conversations and their members. Nothing outside the
 * message service reads these tables.
 *
 * The store is one class written in layers, one concern per file (this file, then
 * user-state-store.ts, history-store.ts and the send path in message-store.ts), with one
 * small subclass per engine for what the engines do differently; `createMessageStore`
 * picks it. Writes here outside the group commit tell the engine through
 * `changedConversation` (SQLite drops its cached send contexts; the others keep nothing).
 */
export class MembershipStore {
  readonly db: Kysely<MessageTables>;
  /** The prepared queries of every layer, in the order made (see `hot` and `hotSql`). */
  private readonly hotStatements: HotStatement[] = [];

  constructor(db: Kysely<MessageTables>) {
    this.db = db;
  }

  /**
   * A query compiled once and run with new arguments (see `prepared`), listed by `name` in
   * the committed SQL snapshot. `build` runs at the first call, once the store is built.
   */
  protected hot<A extends Record<string, unknown>>(name: string, build: () => Compilable) {
    this.hotStatements.push({ name, compile: () => build().compile() });
    return prepared<A>(build);
  }

  /**
   * The SQL of this engine's hot paths: each prepared query, then each per-batch statement
   * built for a sample batch (`batchStatements`). `npm run sql:snapshot` writes it to
   * services/message/queries/<engine>.sql; a test fails when the committed file differs.
   */
  hotSql(): { name: string; sql: string }[] {
    return [...this.hotStatements, ...this.batchStatements()].map((s) => ({
      name: s.name,
      sql: s.compile().sql,
    }));
  }

  /** The statements an engine builds per batch, each for a sample batch of two. */
  protected batchStatements(): HotStatement[] {
    return [];
  }

  /** A write outside the group commit changed a conversation or one of its members. */
  protected changedConversation(_convId: string): void {}

  /** A write outside the group commit changed something of every conversation of a user. */
  protected changedEverything(): void {}

  private readonly membershipQuery = this.hot<{ conv: string; user: string }>('membership', () =>
    this.db
      .selectFrom('msg_members as m')
      .innerJoin('msg_conversations as c', 'c.id', 'm.conv_id')
      .selectAll('m')
      .select(['c.type', 'c.name', 'c.muted_all', 'c.last_seq', 'c.last_message_at'])
      .where('m.conv_id', '=', slot('conv'))
      .where('m.user_id', '=', slot('user')),
  );

  private readonly activeMemberIdsQuery = this.hot<{ conv: string }>('activeMemberIds', () =>
    this.db
      .selectFrom('msg_members')
      .select('user_id')
      .where('conv_id', '=', slot('conv'))
      .where('left_seq', 'is', null),
  );

  transaction<T>(fn: (tx: Transaction<MessageTables>) => Promise<T>): Promise<T> {
    return this.db.transaction().execute(fn);
  }

  async conversation(id: string, db: Db = this.db): Promise<ConversationRow | undefined> {
    const r = await db.selectFrom('msg_conversations').selectAll().where('id', '=', id).executeTakeFirst();
    return r && toConversation(r);
  }

  async conversations(ids: string[], db: Db = this.db): Promise<ConversationRow[]> {
    if (!ids.length) return [];
    return (await db.selectFrom('msg_conversations').selectAll().where('id', 'in', ids).execute()).map(
      toConversation,
    );
  }

  async directByKey(key: string, db: Db = this.db): Promise<ConversationRow | undefined> {
    const r = await db
      .selectFrom('msg_conversations')
      .selectAll()
      .where('direct_key', '=', key)
      .executeTakeFirst();
    return r && toConversation(r);
  }

  async member(convId: string, userId: string, db: Db = this.db): Promise<MemberRow | undefined> {
    const r = await db
      .selectFrom('msg_members')
      .selectAll()
      .where('conv_id', '=', convId)
      .where('user_id', '=', userId)
      .executeTakeFirst();
    return r && toMember(r);
  }

  /** A member row and its conversation in one query. */
  async membership(
    convId: string,
    userId: string,
  ): Promise<{ conv: ConversationRow; me: MemberRow } | undefined> {
    const r = (await this.membershipQuery(this.db, { conv: convId, user: userId })).rows[0];
    if (!r) return undefined;
    return { me: toMember(r), conv: toConversation({ ...r, id: r.conv_id }) };
  }

  async members(convId: string, db: Db = this.db): Promise<MemberRow[]> {
    return (await db.selectFrom('msg_members').selectAll().where('conv_id', '=', convId).execute()).map(
      toMember,
    );
  }

  /** How many members (not left) each conversation has. */
  async memberCounts(convIds: string[]): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    if (!convIds.length) return out;
    const rows = await this.db
      .selectFrom('msg_members')
      .select(['conv_id', (eb) => eb.fn.countAll().as('n')])
      .where('conv_id', 'in', convIds)
      .where('left_seq', 'is', null)
      .groupBy('conv_id')
      .execute();
    for (const r of rows) out.set(asId(r.conv_id), asNum(r.n));
    return out;
  }

  /** For 1:1 conversations: the other member of each. */
  async peers(convIds: string[], userId: string): Promise<Map<string, MemberRow>> {
    const out = new Map<string, MemberRow>();
    if (!convIds.length) return out;
    const rows = await this.db
      .selectFrom('msg_members')
      .selectAll()
      .where('conv_id', 'in', convIds)
      .where('user_id', '!=', userId)
      .execute();
    for (const r of rows.map(toMember)) out.set(r.convId, r);
    return out;
  }

  /** Ids of members who have not left (the audience of a push). */
  async activeMemberIds(convId: string, db: Db = this.db): Promise<string[]> {
    const { rows } = await this.activeMemberIdsQuery(db, { conv: convId });
    return rows.map((r) => asId(r.user_id));
  }

  async membershipsOf(userId: string, sincePts?: number): Promise<MemberRow[]> {
    let q = this.db.selectFrom('msg_members').selectAll().where('user_id', '=', userId);
    if (sincePts !== undefined) q = q.where('pts', '>', sincePts);
    return (await q.execute()).map(toMember);
  }

  /**
   * Every conversation of a user with its head (the last seq the user may read) and the head
   * its member row was last stamped at (`syncedSeq`).
   */
  async heads(
    userId: string,
    db: Db = this.db,
  ): Promise<{ convId: string; lastSeq: number; syncedSeq: number }[]> {
    const rows = await db
      .selectFrom('msg_members as m')
      .innerJoin('msg_conversations as c', 'c.id', 'm.conv_id')
      .select(['m.conv_id', 'm.left_seq', 'm.synced_seq', 'c.last_seq'])
      .where('m.user_id', '=', userId)
      .execute();
    return rows.map((r) => ({
      convId: asId(r.conv_id),
      lastSeq: r.left_seq === null ? asNum(r.last_seq) : Math.min(asNum(r.left_seq), asNum(r.last_seq)),
      syncedSeq: asNum(r.synced_seq),
    }));
  }

  async updateMember(
    db: Db,
    convId: string,
    userId: string,
    set: Updateable<MessageTables['msg_members']>,
  ): Promise<void> {
    await db
      .updateTable('msg_members')
      .set(set)
      .where('conv_id', '=', convId)
      .where('user_id', '=', userId)
      .execute();
    this.changedConversation(convId);
  }

  async insertMember(db: Db, row: Insertable<MessageTables['msg_members']>): Promise<void> {
    await db.insertInto('msg_members').values(row).execute();
    this.changedConversation(row.conv_id);
  }

  async insertConversation(db: Db, row: MessageTables['msg_conversations']): Promise<void> {
    await db.insertInto('msg_conversations').values(row).execute();
    this.changedConversation(row.id);
  }

  async updateConversation(
    db: Db,
    id: string,
    set: Partial<MessageTables['msg_conversations']>,
  ): Promise<void> {
    await db.updateTable('msg_conversations').set(set).where('id', '=', id).execute();
    this.changedConversation(id);
  }
}
