import { sql, type Kysely, type Migration } from 'kysely';
import { asId, asNum } from '../../../adapters/sql/sql.js';
import { SILENT_TYPES, type MessageRow, type MessageTables } from '../message.tables.js';
import { toMessage, type Db } from './rows.js';

/** Tables of reactions, pins and edits, and the column of the edit time. */
export const messageOpsMigration: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema.alterTable('msg_messages').addColumn('edited_at', 'bigint').execute();
    await db.schema
      .createTable('msg_reactions')
      .addColumn('conv_id', 'bigint', (c) => c.notNull())
      .addColumn('seq', 'integer', (c) => c.notNull())
      .addColumn('emoji', 'varchar(80)', (c) => c.notNull())
      .addColumn('user_id', 'bigint', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('msg_reactions_pk', ['conv_id', 'seq', 'emoji', 'user_id'])
      .execute();
    await db.schema
      .createTable('msg_pins')
      .addColumn('conv_id', 'bigint', (c) => c.notNull())
      .addColumn('seq', 'integer', (c) => c.notNull())
      .addColumn('pinned_by', 'bigint', (c) => c.notNull())
      .addColumn('pinned_at', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('msg_pins_pk', ['conv_id', 'seq'])
      .execute();
    await db.schema
      .createTable('msg_edits')
      .addColumn('conv_id', 'bigint', (c) => c.notNull())
      .addColumn('seq', 'integer', (c) => c.notNull())
      .addColumn('event_seq', 'integer', (c) => c.notNull())
      .addPrimaryKeyConstraint('msg_edits_pk', ['conv_id', 'seq', 'event_seq'])
      .execute();
  },
  async down(db: Kysely<unknown>) {
    for (const t of ['msg_edits', 'msg_pins', 'msg_reactions']) await db.schema.dropTable(t).execute();
    await db.schema.alterTable('msg_messages').dropColumn('edited_at').execute();
  },
};

/** An emoji's storage key: its code points in lower-case hex joined by '-'. */
export const emojiKey = (emoji: string) => [...emoji].map((c) => c.codePointAt(0)!.toString(16)).join('-');
export const emojiOf = (key: string) =>
  String.fromCodePoint(...key.split('-').map((h) => Number.parseInt(h, 16)));

/** One emoji's reactions on one message; `mine` when `viewer` is among them. */
export interface ReactionAggregate {
  emoji: string;
  count: number;
  mine: boolean;
}

/**
 * The SQL of reactions, pins and edits (not on the send path): one schema for the three
 * engines, run inside the message store's transactions when they write.
 */
export class MessageOpsStore {
  constructor(private readonly db: Kysely<MessageTables>) {}

  async hasReaction(db: Db, convId: string, seq: number, emoji: string, userId: string): Promise<boolean> {
    const r = await db
      .selectFrom('msg_reactions')
      .select('user_id')
      .where('conv_id', '=', convId)
      .where('seq', '=', seq)
      .where('emoji', '=', emojiKey(emoji))
      .where('user_id', '=', userId)
      .executeTakeFirst();
    return r !== undefined;
  }

  async addReaction(db: Db, convId: string, seq: number, emoji: string, userId: string, now: number) {
    await db
      .insertInto('msg_reactions')
      .values({ conv_id: convId, seq, emoji: emojiKey(emoji), user_id: userId, created_at: now })
      .execute();
  }

  async removeReaction(db: Db, convId: string, seq: number, emoji: string, userId: string) {
    await db
      .deleteFrom('msg_reactions')
      .where('conv_id', '=', convId)
      .where('seq', '=', seq)
      .where('emoji', '=', emojiKey(emoji))
      .where('user_id', '=', userId)
      .execute();
  }

  /**
   * The reactions on the messages with seqs in [from, to] of a conversation, by seq: each
   * emoji with its count, most used first (then first used first), and whether `viewer` is
   * among them. One query for a history page; the primary key serves it.
   */
  async reactions(
    convId: string,
    from: number,
    to: number,
    viewer = '',
    db: Db = this.db,
  ): Promise<Map<number, ReactionAggregate[]>> {
    const out = new Map<number, ReactionAggregate[]>();
    if (to < from) return out;
    const rows = await db
      .selectFrom('msg_reactions')
      .select(['seq', 'emoji'])
      .select((eb) => [
        eb.fn.countAll<number>().as('n'),
        eb.fn.min('created_at').as('first'),
        sql<number>`sum(case when user_id = ${viewer || '0'} then 1 else 0 end)`.as('mine'),
      ])
      .where('conv_id', '=', convId)
      .where('seq', '>=', from)
      .where('seq', '<=', to)
      .groupBy(['seq', 'emoji'])
      .execute();
    const sorted = rows
      .map((r) => ({
        seq: asNum(r.seq),
        first: asNum(r.first),
        n: asNum(r.n),
        mine: asNum(r.mine),
        e: r.emoji,
      }))
      .sort((a, b) => a.seq - b.seq || b.n - a.n || a.first - b.first);
    for (const r of sorted) {
      let list = out.get(r.seq);
      if (!list) out.set(r.seq, (list = []));
      list.push({ emoji: emojiOf(r.e), count: r.n, mine: r.mine > 0 });
    }
    return out;
  }

  async pin(db: Db, convId: string, seq: number, userId: string, now: number): Promise<void> {
    await db
      .insertInto('msg_pins')
      .values({ conv_id: convId, seq, pinned_by: userId, pinned_at: now })
      .execute();
  }

  /** Unpins; returns whether the message was pinned. */
  async unpin(db: Db, convId: string, seq: number): Promise<boolean> {
    const r = await db
      .deleteFrom('msg_pins')
      .where('conv_id', '=', convId)
      .where('seq', '=', seq)
      .executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }

  /** Pinned seqs of each conversation, newest pin first. */
  async pinnedSeqs(convIds: string[], db: Db = this.db): Promise<Map<string, number[]>> {
    const out = new Map<string, number[]>();
    if (!convIds.length) return out;
    const rows = await db
      .selectFrom('msg_pins')
      .select(['conv_id', 'seq', 'pinned_at'])
      .where('conv_id', 'in', convIds)
      .orderBy('pinned_at', 'desc')
      .orderBy('seq', 'desc')
      .execute();
    for (const r of rows) {
      const id = asId(r.conv_id);
      let list = out.get(id);
      if (!list) out.set(id, (list = []));
      list.push(asNum(r.seq));
    }
    return out;
  }

  /** Stores an edit: the message's new content and time, and which EDIT message carried it. */
  async markEdited(db: Db, convId: string, seq: number, content: string, eventSeq: number, now: number) {
    await db
      .updateTable('msg_messages')
      .set({ content, edited_at: now })
      .where('conv_id', '=', convId)
      .where('seq', '=', seq)
      .execute();
    await db.insertInto('msg_edits').values({ conv_id: convId, seq, event_seq: eventSeq }).execute();
  }

  /**
   * What a recall also takes: the texts the message's EDIT messages carried (blanked and
   * marked recalled, so nobody reads the recalled text there) and its pin.
   */
  async recallOps(db: Db, convId: string, seq: number, now: number): Promise<void> {
    const edits = await db
      .selectFrom('msg_edits')
      .select('event_seq')
      .where('conv_id', '=', convId)
      .where('seq', '=', seq)
      .execute();
    if (edits.length)
      await db
        .updateTable('msg_messages')
        .set({ content: '{}', recalled_at: now })
        .where('conv_id', '=', convId)
        .where(
          'seq',
          'in',
          edits.map((e) => asNum(e.event_seq)),
        )
        .execute();
    await db.deleteFrom('msg_pins').where('conv_id', '=', convId).where('seq', '=', seq).execute();
  }

  /**
   * For each conversation whose head message is silent: the newest message at or below the
   * head that is not (the one a conversation list previews).
   */
  async lastLoud(convs: { id: string; seq: number }[], db: Db = this.db): Promise<Map<string, MessageRow>> {
    const out = new Map<string, MessageRow>();
    for (const c of convs) {
      const r = await db
        .selectFrom('msg_messages')
        .selectAll()
        .where('conv_id', '=', c.id)
        .where('seq', '<=', c.seq)
        .where('type', 'not in', SILENT_TYPES)
        .orderBy('seq', 'desc')
        .limit(1)
        .executeTakeFirst();
      if (r) out.set(c.id, toMessage(r));
    }
    return out;
  }

  /** Silent messages (reactions, edits) in (after, upTo] of each conversation: not unread. */
  async silentCounts(list: { convId: string; after: number; upTo: number }[], db: Db = this.db) {
    const out = new Map<string, number>();
    const wanted = list.filter((l) => l.upTo > l.after);
    for (let i = 0; i < wanted.length; i += 100) {
      const chunk = wanted.slice(i, i + 100);
      const rows = await db
        .selectFrom('msg_messages')
        .select(['conv_id', (eb) => eb.fn.countAll<number>().as('n')])
        .where('type', 'in', SILENT_TYPES)
        .where((eb) =>
          eb.or(
            chunk.map((l) =>
              eb.and([eb('conv_id', '=', l.convId), eb('seq', '>', l.after), eb('seq', '<=', l.upTo)]),
            ),
          ),
        )
        .groupBy('conv_id')
        .execute();
      for (const r of rows) out.set(asId(r.conv_id), asNum(r.n));
    }
    return out;
  }
}
