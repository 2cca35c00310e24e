import { sql, type Kysely } from 'kysely';
import { asBool, asId, asNum, type SqlDatabase } from '../../adapters/sql/sql.js';
import type { MessageRow, MessageTables } from './message.tables.js';

/** A conversation's readable seqs for one user: [firstSeq, lastSeq]. */
export interface WindowRow {
  convId: string;
  type: number;
  firstSeq: number;
  lastSeq: number;
  left: boolean;
  /** Seqs in the window the user deleted for themself. */
  hiddenSeqs: number[];
}

/**
 * A stored message row as the service's MessageRow (as the repository maps it; kept here so
 * the search feed does not reach into the repository).
 */
export const toMessageRow = (r: Record<string, unknown>): MessageRow => ({
  convId: asId(r.conv_id),
  seq: asNum(r.seq),
  id: asId(r.id),
  senderId: asId(r.sender_id),
  clientMsgId: r.client_msg_id as string,
  type: asNum(r.type),
  content: r.content as string,
  replyToSeq: asNum(r.reply_to_seq),
  mentions: (r.mentions as string) ? (r.mentions as string).split(',') : [],
  mentionAll: asBool(r.mention_all),
  createdAt: asNum(r.created_at),
  recalledAt: r.recalled_at === null || r.recalled_at === undefined ? null : asNum(r.recalled_at),
});

/** The two reads of the feed: on the store's connection (below), or the reader's (message.index-feed.reader.ts). */
export interface FeedRows {
  /** Messages with after < id <= until (until optional), by id, at most `limit`. */
  messagesAfter(after: string, until: string | undefined, limit: number): Promise<MessageRow[]>;
  /** The messages at these places (conversation, seq), in no order. */
  messagesAt(places: readonly { convId: string; seq: number }[]): Promise<MessageRow[]>;
}

/**
 * The reads the search service needs from the message store: messages in id order (the
 * index `msg_messages_id_idx` from migration 0003), and a user's read windows.
 */
export class IndexFeedQueries implements FeedRows {
  private readonly db: Kysely<MessageTables>;

  constructor(private readonly sql: SqlDatabase) {
    this.db = sql.db as Kysely<MessageTables>;
  }

  /** Messages with after < id <= until (until optional), by id, at most `limit`. */
  async messagesAfter(after: string, until: string | undefined, limit: number): Promise<MessageRow[]> {
    let q = this.db.selectFrom('msg_messages').selectAll().where('id', '>', this.int(after));
    if (until !== undefined) q = q.where('id', '<=', this.int(until));
    const rows = await q.orderBy('id').limit(limit).execute();
    return rows.map((r) => toMessageRow(r as unknown as Record<string, unknown>));
  }

  /** The messages at these places (conversation, seq), in no order. */
  async messagesAt(places: readonly { convId: string; seq: number }[]): Promise<MessageRow[]> {
    if (!places.length) return [];
    const rows = await this.db
      .selectFrom('msg_messages')
      .selectAll()
      .where((eb) =>
        eb.or(places.map((p) => eb.and([eb('conv_id', '=', this.int(p.convId)), eb('seq', '=', p.seq)]))),
      )
      .execute();
    return rows.map((r) => toMessageRow(r as unknown as Record<string, unknown>));
  }

  /** Every conversation `userId` is or was in (or just `convId`), with what they may read there. */
  async windows(userId: string, convId?: string): Promise<WindowRow[]> {
    let q = this.db
      .selectFrom('msg_members as m')
      .innerJoin('msg_conversations as c', 'c.id', 'm.conv_id')
      .select(['m.conv_id', 'c.type', 'm.first_seq', 'm.left_seq', 'm.cleared_seq', 'c.last_seq'])
      .where('m.user_id', '=', this.int(userId));
    if (convId !== undefined) q = q.where('m.conv_id', '=', this.int(convId));
    const rows = await q.execute();
    let h = this.db
      .selectFrom('msg_hidden')
      .select(['conv_id', 'seq'])
      .where('user_id', '=', this.int(userId));
    if (convId !== undefined) h = h.where('conv_id', '=', this.int(convId));
    const hidden = new Map<string, number[]>();
    for (const r of await h.orderBy('seq').execute()) {
      const list = hidden.get(asId(r.conv_id));
      if (list) list.push(asNum(r.seq));
      else hidden.set(asId(r.conv_id), [asNum(r.seq)]);
    }
    return rows.map((r) => {
      const head = asNum(r.last_seq);
      const left = r.left_seq === null || r.left_seq === undefined ? undefined : asNum(r.left_seq);
      // What the user cleared is no longer theirs to find (as GetHistory: firstReadable).
      const firstSeq = Math.max(asNum(r.first_seq), asNum(r.cleared_seq) + 1);
      return {
        convId: asId(r.conv_id),
        type: asNum(r.type),
        firstSeq,
        // As GetHistory: the head, or where they left (visibleHead).
        lastSeq: left === undefined ? head : Math.min(left, head),
        left: left !== undefined,
        hiddenSeqs: (hidden.get(asId(r.conv_id)) ?? []).filter((s) => s >= firstSeq),
      };
    });
  }

  /** An id as a typed integer, never compared as text or floating point. */
  private int(v: string) {
    return this.sql.engine === 'mysql'
      ? sql<string>`cast(${v} as signed)`
      : sql<string>`cast(${v} as bigint)`;
  }
}
