import { sql, type Compilable, type Insertable } from 'kysely';
import { preparedRows, slot } from '../../../adapters/sql/prepared.js';
import { asNum } from '../../../adapters/sql/sql.js';
import type { MessageRow, MessageTables } from '../message.tables.js';
import { RecordStateStore } from './record-state-store.js';
import {
  memberKey,
  type CommitTx,
  type Db,
  type DeliveredMove,
  type HotStatement,
  type SendContext,
} from './rows.js';

/** Most rows one INSERT statement carries (a batch of sends is split into statements of this size). */
const INSERT_ROWS = 64;

/** The columns of a new message, each read from its row (see `preparedRows`). */
const MESSAGE_COLUMNS: Readonly<Record<string, (m: MessageRow) => unknown>> = {
  conv_id: (m) => m.convId,
  seq: (m) => m.seq,
  id: (m) => m.id,
  sender_id: (m) => m.senderId,
  client_msg_id: (m) => m.clientMsgId,
  type: (m) => m.type,
  content: (m) => m.content,
  reply_to_seq: (m) => m.replyToSeq,
  mentions: (m) => m.mentions.join(','),
  mention_all: (m) => (m.mentionAll ? 1 : 0),
  created_at: (m) => m.createdAt,
};

/**
 * The message store, the port the message service uses: the layers below (membership, user
 * state, history) and here the send path: seqs born in the group commit's transaction, new
 * messages stored, cursors moved forward only. One subclass per engine, chosen by
 * `createMessageStore`: sqlite-message-store.ts (in-process: the direct runner, the cached
 * send context, one prepared statement per row), and for the networked engines
 * pooled-message-store.ts (the writers' own pool, one statement per batch) with
 * postgres-message-store.ts and mysql-message-store.ts for their SQL.
 */
export abstract class MessageStore extends RecordStateStore {
  /** INSERTs of n messages, compiled once per n (see `preparedRows`). */
  private readonly insert = preparedRows<MessageRow>(MESSAGE_COLUMNS, (values) =>
    this.insertStatement(values),
  );

  private readonly bumpSeq = this.hot<{ conv: string; n: number; now: number }>('bumpSeq', () =>
    this.bumpSeqStatement(),
  );

  /**
   * Runs `fn` as a transaction of the group-commit writer (message.writer.ts), which runs
   * `storeNew` and `advanceDeliveredMany` in it for a whole batch.
   */
  abstract groupCommit<T>(fn: (tx: CommitTx) => Promise<T>): Promise<T>;

  /**
   * What a send (or a delivered ack) needs in one query: the member row and its
   * conversation, whether the member hides read receipts, and for a 1:1 conversation the
   * ids of its members who have not left (the push audience; groups look theirs up after
   * the commit). Undefined when the user is no member.
   */
  abstract sendContext(convId: string, userId: string): Promise<SendContext | undefined>;

  /**
   * Reserves seqs of several conversations (ids in ascending order, so concurrent writers
   * lock rows in the same order) in the caller's transaction; returns the last reserved seq
   * of each.
   */
  abstract reserveSeqsMany(
    tx: CommitTx,
    list: readonly { convId: string; n: number }[],
    now: number,
  ): Promise<Map<string, number>>;

  /** Moves each sender's read cursor (and delivered) to their newest message of the batch. */
  protected abstract moveSenderReads(tx: CommitTx, newest: ReadonlyMap<string, MessageRow>): Promise<void>;

  /** Moves delivered cursors forward only; returns the keys (`conv:user`) that moved. */
  protected abstract moveDelivered(tx: CommitTx, moves: readonly DeliveredMove[]): Promise<Set<string>>;

  /** A conversation's head moved to `lastSeq` in `tx` (SQLite keeps its cached context true). */
  protected headMoved(_tx: CommitTx, _convId: string, _lastSeq: number, _now: number): void {}

  /** The head after a seq bump that returned no row (MySQL has no RETURNING). */
  protected async seqAfterBump(_tx: CommitTx, convId: string): Promise<number> {
    throw new Error(`conversation ${convId} vanished while sending`);
  }

  /** The seq bump: adds `n` to a conversation's head and returns the new head. */
  protected bumpSeqStatement(): Compilable {
    return this.seqUpdate().returning('last_seq');
  }

  protected seqUpdate() {
    return this.db
      .updateTable('msg_conversations')
      .set({ last_seq: sql<number>`last_seq + ${slot<number>('n')}`, last_message_at: slot('now') })
      .where('id', '=', slot('conv'));
  }

  private insertStatement(values: Record<string, unknown>[]) {
    return this.db
      .insertInto('msg_messages')
      .values(values.map((v) => ({ ...v, recalled_at: null }) as Insertable<MessageTables['msg_messages']>));
  }

  /** The member rows with their conversation, 1:1 peer and receipt setting (see sendContext). */
  protected contextSelect(direct: unknown) {
    return (
      this.db
        .selectFrom('msg_members as m')
        .innerJoin('msg_conversations as c', 'c.id', 'm.conv_id')
        // The other member of a 1:1 conversation (none for groups: the join key is NULL
        // then, so a group's member rows are not even visited).
        .leftJoin('msg_members as p', (j) =>
          j
            .on(
              'p.conv_id',
              '=',
              sql<string>`case when ${sql.ref('c.type')} = ${direct} then ${sql.ref('m.conv_id')} end`,
            )
            .onRef('p.user_id', '<>', 'm.user_id'),
        )
        .leftJoin('msg_user_state as s', 's.user_id', 'm.user_id')
        .selectAll('m')
        .select(['c.type', 'c.name', 'c.muted_all', 'c.last_seq', 'c.last_message_at'])
        .select(['p.user_id as peer_id', 'p.left_seq as peer_left_seq', 's.hide_read_receipts as hides'])
    );
  }

  protected override batchStatements(): HotStatement[] {
    const row = Object.fromEntries(Object.keys(MESSAGE_COLUMNS).map((c) => [c, slot(c)]));
    return [
      {
        name: 'insert messages (one statement per n rows; n = 2)',
        compile: () => this.insertStatement([row, row]).compile(),
      },
    ];
  }

  /** Reserves the next seq of a conversation; the row lock serialises concurrent senders. */
  async nextSeq(tx: CommitTx, convId: string, now: number): Promise<number> {
    return this.reserveSeqs(tx, convId, 1, now);
  }

  /**
   * Reserves the next `n` seqs of a conversation inside the caller's transaction and
   * returns the last of them (the reserved ones are `last - n + 1 .. last`).
   */
  async reserveSeqs(tx: CommitTx, convId: string, n: number, now: number): Promise<number> {
    const r = (await this.bumpSeq(tx, { conv: convId, n, now })).rows[0];
    const last = r ? asNum(r.last_seq) : await this.seqAfterBump(tx, convId);
    this.headMoved(tx, convId, last, now);
    return last;
  }

  /**
   * Stores new messages of any conversations in the caller's transaction (group commit):
   * gives each its seq (per conversation in the order given, conversations in id order so
   * concurrent writers lock rows in the same order), inserts them, and moves each sender's
   * read cursor to their message. Sets `seq` on the rows.
   */
  async storeNew(tx: CommitTx, rows: MessageRow[], now: number): Promise<void> {
    const byConv = new Map<string, MessageRow[]>();
    for (const r of rows) {
      const list = byConv.get(r.convId);
      if (list) list.push(r);
      else byConv.set(r.convId, [r]);
    }
    const convIds = [...byConv.keys()].sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : 1));
    const lasts = await this.reserveSeqsMany(
      tx,
      convIds.map((id) => ({ convId: id, n: byConv.get(id)!.length })),
      now,
    );
    for (const convId of convIds) {
      const list = byConv.get(convId)!;
      const last = lasts.get(convId)!;
      list.forEach((r, i) => (r.seq = last - list.length + 1 + i));
    }
    for (let i = 0; i < rows.length; i += INSERT_ROWS) await this.insert(tx, rows.slice(i, i + INSERT_ROWS));
    const newest = new Map<string, MessageRow>();
    for (const r of rows) newest.set(memberKey(r.convId, r.senderId), r); // the last one wins: the highest seq
    await this.moveSenderReads(tx, newest);
  }

  /** Moves cursors forward only; returns whether anything moved. */
  async advanceCursors(
    db: Db,
    convId: string,
    userId: string,
    c: { read?: number; delivered?: number },
  ): Promise<boolean> {
    const set: Record<string, unknown> = {};
    if (c.read !== undefined)
      set.read_seq = sql`case when read_seq < ${c.read} then ${c.read} else read_seq end`;
    const delivered = Math.max(c.delivered ?? 0, c.read ?? 0);
    if (delivered > 0)
      set.delivered_seq = sql`case when delivered_seq < ${delivered} then ${delivered} else delivered_seq end`;
    const res = await db
      .updateTable('msg_members')
      .set(set)
      .where('conv_id', '=', convId)
      .where('user_id', '=', userId)
      .where((eb) => eb.or([eb('read_seq', '<', c.read ?? -1), eb('delivered_seq', '<', delivered)]))
      .executeTakeFirst();
    this.changedConversation(convId);
    return Number(res.numUpdatedRows) > 0;
  }

  /**
   * Moves delivered cursors forward only, in the caller's transaction; returns for each
   * whether it moved. Several moves of one member's cursor in a list: the highest wins.
   */
  async advanceDeliveredMany(tx: CommitTx, moves: readonly DeliveredMove[]): Promise<boolean[]> {
    const moved = await this.moveDelivered(tx, moves);
    return moves.map((m) => moved.has(memberKey(m.convId, m.userId)));
  }
}
