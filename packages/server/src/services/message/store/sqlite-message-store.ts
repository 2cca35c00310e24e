import { sql, type Kysely } from 'kysely';
import type { SqliteDirect } from '../../../adapters/sql/hot-path.js';
import { slot } from '../../../adapters/sql/prepared.js';
import type { QueryRunner } from '../../../adapters/sql/sql.js';
import { CONV_DIRECT, type MessageRow, type MessageTables } from '../message.tables.js';
import type { RangeQuery } from './history-store.js';
import { MessageStore } from './message-store.js';
import {
  fromJsonRow,
  memberKey,
  pageInOrder,
  toSendContext,
  type CommitTx,
  type DeliveredMove,
  type JsonMessage,
  type SendContext,
} from './rows.js';
import { ContextCache } from './sqlite-context-cache.js';

/** How often the send-context cache looks for other processes' commits, ms. */
const VERSION_CHECK_MS = 20;

/**
 * The message store on SQLite, in process: a statement costs microseconds, not a round
 * trip, so the send path runs one prepared statement per row on the direct runner (see
 * SqliteDirect), without Kysely's per-query promise chain; and since this process is the
 * file's only regular writer, send contexts are kept in memory (sqlite-context-cache.ts).
 */
export class SqliteMessageStore extends MessageStore {
  private readonly direct: SqliteDirect;
  /** Send contexts in memory (see ContextCache). */
  private readonly contexts = new ContextCache();
  /** SQLite's data_version when last looked at, and when (`performance.now()`). */
  private dataVersion: number;
  private versionCheckedAt = -Infinity;
  /**
   * The open group commit (one at a time: it holds the connection) and its cache changes,
   * applied once it committed. A slot, not a WeakMap by transaction: V8's scavenges keep
   * the young entries of an old WeakMap alive, and this one took two per commit.
   */
  private openCommit: { tx: QueryRunner; hot: (() => void)[] } | undefined;

  private readonly sendContextQuery = this.hot<{ conv: string; user: string; direct: number }>(
    'sendContext',
    () =>
      this.contextSelect(slot('direct'))
        .where('m.conv_id', '=', slot('conv'))
        .where('m.user_id', '=', slot('user')),
  );

  private readonly advanceDeliveredQuery = this.hot<{ conv: string; user: string; seq: number }>(
    'advanceDelivered',
    () =>
      this.db
        .updateTable('msg_members')
        .set({ delivered_seq: slot('seq') })
        .where('conv_id', '=', slot('conv'))
        .where('user_id', '=', slot('user'))
        .where('delivered_seq', '<', slot('seq')),
  );

  private readonly advanceReadQuery = this.hot<{ conv: string; user: string; seq: number }>(
    'advanceRead',
    () =>
      this.db
        .updateTable('msg_members')
        .set({
          read_seq: sql`case when read_seq < ${slot('seq')} then ${slot('seq')} else read_seq end`,
          delivered_seq: sql`case when delivered_seq < ${slot('seq')} then ${slot('seq')} else delivered_seq end`,
        })
        .where('conv_id', '=', slot('conv'))
        .where('user_id', '=', slot('user'))
        .where((eb) => eb.or([eb('read_seq', '<', slot('seq')), eb('delivered_seq', '<', slot('seq'))])),
  );

  constructor(db: Kysely<MessageTables>, direct: SqliteDirect) {
    super(db);
    this.direct = direct;
    this.dataVersion = direct.dataVersion();
  }

  /**
   * A transaction of the group-commit writer on the direct runner (it runs only the
   * prepared statements of `storeNew` and `advanceDeliveredMany`); the cache changes it
   * made apply once it committed.
   */
  async groupCommit<T>(fn: (tx: CommitTx) => Promise<T>): Promise<T> {
    const hot: (() => void)[] = [];
    const out = await this.direct.transaction(async (tx) => {
      this.openCommit = { tx, hot };
      // Reads that ran before this transaction must not fill the cache any more.
      this.contexts.written();
      try {
        return await fn(tx);
      } finally {
        this.openCommit = undefined;
      }
    });
    for (const apply of hot) apply();
    return out;
  }

  /**
   * Notes a change of the send context made in `tx`: applied in place when `tx` is the
   * open group commit (once it commits), otherwise the conversation's cached contexts are
   * dropped.
   */
  private touched(tx: CommitTx, convId: string, apply: (c: ContextCache) => void): void {
    const c = this.contexts;
    const open = this.openCommit;
    if (open && open.tx === tx) open.hot.push(() => apply(c));
    else c.dropConversation(convId);
  }

  protected override headMoved(tx: CommitTx, convId: string, lastSeq: number, now: number): void {
    this.touched(tx, convId, (c) => c.headMoved(convId, lastSeq, now));
  }

  protected override changedConversation(convId: string): void {
    this.contexts.dropConversation(convId);
  }

  protected override changedEverything(): void {
    this.contexts.dropAll();
  }

  /**
   * Drops every cached context when another process committed to the SQLite file (a seed
   * or maintenance command beside the server). Looked at most every VERSION_CHECK_MS (the
   * pragma costs ~25 us): another process's change shows at most that much later, as if it
   * had been committed that much later.
   */
  private checkOtherWriters(): void {
    const now = performance.now();
    if (now - this.versionCheckedAt < VERSION_CHECK_MS) return;
    this.versionCheckedAt = now;
    const v = this.direct.dataVersion();
    if (v !== this.dataVersion) {
      this.dataVersion = v;
      this.contexts.dropAll();
    }
  }

  /** From the ContextCache, or one query on the direct runner that fills it. */
  sendContext(convId: string, userId: string): Promise<SendContext | undefined> {
    const cache = this.contexts;
    this.checkOtherWriters();
    const hit = cache.get(convId, userId);
    if (hit) return Promise.resolve(hit);
    const args = { conv: convId, user: userId, direct: CONV_DIRECT };
    let epoch = 0;
    return this.direct
      .read((db) => {
        epoch = cache.epoch(); // the query runs now, synchronously, under the lock
        return this.sendContextQuery(db, args);
      })
      .then((res) => {
        const ctx = res.rows[0] && toSendContext(res.rows[0]);
        if (ctx) cache.fill(ctx, epoch);
        return ctx;
      });
  }

  /** One UPDATE ... RETURNING per conversation (in-process, microseconds). */
  async reserveSeqsMany(
    tx: CommitTx,
    list: readonly { convId: string; n: number }[],
    now: number,
  ): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    for (const { convId, n } of list) out.set(convId, await this.reserveSeqs(tx, convId, n, now));
    return out;
  }

  protected async moveSenderReads(tx: CommitTx, newest: ReadonlyMap<string, MessageRow>): Promise<void> {
    for (const r of newest.values()) {
      await this.advanceReadQuery(tx, { conv: r.convId, user: r.senderId, seq: r.seq });
      this.touched(tx, r.convId, (c) => c.cursorMoved(r.convId, r.senderId, { read: r.seq }));
    }
  }

  /** One prepared UPDATE per member (in-process, microseconds), the highest seq of each. */
  protected async moveDelivered(tx: CommitTx, moves: readonly DeliveredMove[]): Promise<Set<string>> {
    const highest = new Map<string, DeliveredMove>();
    for (const m of moves) {
      const k = memberKey(m.convId, m.userId);
      if ((highest.get(k)?.seq ?? -1) < m.seq) highest.set(k, m);
    }
    const moved = new Set<string>();
    for (const [k, m] of highest) {
      const res = await this.advanceDeliveredQuery(tx, { conv: m.convId, user: m.userId, seq: m.seq });
      if (Number(res.numAffectedRows ?? 0) > 0) {
        moved.add(k);
        this.touched(tx, m.convId, (c) => c.cursorMoved(m.convId, m.userId, { delivered: m.seq }));
      }
    }
    return moved;
  }

  /**
   * The page as one JSON array built in SQLite and parsed by JSON.parse. better-sqlite3
   * makes a JS object with a BigInt per integer column for every row (~5 us a row: most of
   * serving history, and of a returning user's catch-up); one string is a few us in all.
   * SQL does not promise that the aggregate sees the rows in the subquery's order, and an
   * ORDER BY inside the aggregate sorts them again in SQLite (half of the query's time for a
   * page of 200): they are put in order here instead, where an ordered page costs one pass.
   */
  override async range(convId: string, o: RangeQuery): Promise<MessageRow[]> {
    const page = await this.db
      .selectFrom(this.rangeQuery(convId, o).as('m'))
      .select(
        sql<string>`json_group_array(json_array(m.seq, cast(m.id as text), cast(m.sender_id as text),
          m.client_msg_id, m.type, m.content, m.reply_to_seq, m.mentions, m.mention_all, m.created_at,
          m.recalled_at, m.edited_at))`.as('page'),
      )
      .executeTakeFirst();
    const rows = pageInOrder(JSON.parse(page?.page ?? '[]') as JsonMessage[], o.after !== undefined);
    return rows.map((r) => fromJsonRow(convId, r));
  }
}
