import { slot } from '../../../adapters/sql/prepared.js';
import { asId } from '../../../adapters/sql/sql.js';
import type { MessageRow } from '../message.tables.js';
import { toMessage, type Db } from './rows.js';
import { UserStateStore } from './user-state-store.js';

/** Which messages of a conversation `range` reads (see there). */
export interface RangeQuery {
  after?: number;
  before?: number;
  min: number;
  max: number;
  limit: number;
}

/**
 * The message store's third layer: stored messages (history, lookups, recall). See
 * membership-store.ts for how the layers stack.
 */
export class HistoryStore extends UserStateStore {
  private readonly messageByClientIdQuery = this.hot<{ sender: string; cmid: string }>(
    'messageByClientId',
    () =>
      this.db
        .selectFrom('msg_messages')
        .selectAll()
        .where('sender_id', '=', slot('sender'))
        .where('client_msg_id', '=', slot('cmid')),
  );

  async messageByClientId(
    senderId: string,
    clientMsgId: string,
    db: Db = this.db,
  ): Promise<MessageRow | undefined> {
    const r = (await this.messageByClientIdQuery(db, { sender: senderId, cmid: clientMsgId })).rows[0];
    return r && toMessage(r);
  }

  async message(convId: string, seq: number, db: Db = this.db): Promise<MessageRow | undefined> {
    const r = await db
      .selectFrom('msg_messages')
      .selectAll()
      .where('conv_id', '=', convId)
      .where('seq', '=', seq)
      .executeTakeFirst();
    return r && toMessage(r);
  }

  /** The last message of each conversation (for conversation lists). */
  async lastMessages(convs: { id: string; seq: number }[]): Promise<Map<string, MessageRow>> {
    const out = new Map<string, MessageRow>();
    const wanted = convs.filter((c) => c.seq > 0);
    for (let i = 0; i < wanted.length; i += 200) {
      const chunk = wanted.slice(i, i + 200);
      const rows = await this.db
        .selectFrom('msg_messages')
        .selectAll()
        .where((eb) => eb.or(chunk.map((c) => eb.and([eb('conv_id', '=', c.id), eb('seq', '=', c.seq)]))))
        .execute();
      for (const r of rows.map(toMessage)) out.set(r.convId, r);
    }
    return out;
  }

  /** Messages by seq: after `after` ascending, or before `before` descending; `limit`+1 to detect more. */
  async range(convId: string, o: RangeQuery): Promise<MessageRow[]> {
    return (await this.rangeQuery(convId, o).execute()).map(toMessage);
  }

  /** The query of `range`'s rows, in page order. */
  protected rangeQuery(convId: string, o: RangeQuery) {
    let q = this.db
      .selectFrom('msg_messages')
      .selectAll()
      .where('conv_id', '=', convId)
      .where('seq', '>=', o.min)
      .where('seq', '<=', o.max);
    if (o.after !== undefined) q = q.where('seq', '>', o.after).orderBy('seq', 'asc');
    // No `before`: from the top (MAX_SAFE_INTEGER overflows PostgreSQL's integer seq column).
    else q = q.where('seq', '<', o.before ?? o.max + 1).orderBy('seq', 'desc');
    return q.limit(o.limit);
  }

  /** Distinct senders of messages in (fromSeq, toSeq] other than `except`. */
  async sendersBetween(convId: string, fromSeq: number, toSeq: number, except: string): Promise<string[]> {
    if (toSeq <= fromSeq) return [];
    const rows = await this.db
      .selectFrom('msg_messages')
      .select('sender_id')
      .distinct()
      .where('conv_id', '=', convId)
      .where('seq', '>', fromSeq)
      .where('seq', '<=', toSeq)
      .where('sender_id', '!=', except)
      .execute();
    return rows.map((r) => asId(r.sender_id));
  }

  async insertMessage(tx: Db, m: MessageRow): Promise<void> {
    await tx
      .insertInto('msg_messages')
      .values({
        conv_id: m.convId,
        seq: m.seq,
        id: m.id,
        sender_id: m.senderId,
        client_msg_id: m.clientMsgId,
        type: m.type,
        content: m.content,
        reply_to_seq: m.replyToSeq,
        mentions: m.mentions.join(','),
        mention_all: m.mentionAll ? 1 : 0,
        created_at: m.createdAt,
        recalled_at: null,
      })
      .execute();
  }

  async markRecalled(tx: Db, convId: string, seq: number, now: number): Promise<void> {
    await tx
      .updateTable('msg_messages')
      .set({ recalled_at: now, content: '{}' })
      .where('conv_id', '=', convId)
      .where('seq', '=', seq)
      .execute();
  }
}
