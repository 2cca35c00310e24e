import { sql, type Insertable, type Updateable, type Kysely, type Transaction } from 'kysely';
import { prepared, preparedRows, slot } from '../../adapters/sql/prepared.js';
import {
  asBool,
  asId,
  asNum,
  type QueryRunner,
  type SqlDatabase,
  type SqlEngine,
  type SqliteDirect,
} from '../../adapters/sql/sql.js';
import { ContextCache } from './message.context-cache.js';
import {
  CONV_DIRECT,
  type ConversationRow,
  type MemberRow,
  type MessageRow,
  type MessageTables,
} from './message.tables.js';

type Db = Kysely<MessageTables> | Transaction<MessageTables>;
/**
 * The transaction of the send path's statements: a Kysely transaction, or on SQLite the
 * direct runner's (see `groupCommit`), which runs only prepared queries.
 */
export type CommitTx = Db | QueryRunner;

/** The Kysely transaction behind `tx`: the statements built per call exist only outside SQLite. */
function builder(tx: CommitTx): Db {
  if (!('selectFrom' in tx)) throw new Error('a query builder is needed here, not the SQLite direct runner');
  return tx;
}

const toMember = (r: Record<string, unknown>): MemberRow => ({
  convId: asId(r.conv_id),
  userId: asId(r.user_id),
  role: asNum(r.role),
  sendState: asNum(r.send_state),
  mutedUntil: asNum(r.muted_until),
  firstSeq: asNum(r.first_seq),
  leftSeq: r.left_seq === null || r.left_seq === undefined ? null : asNum(r.left_seq),
  readSeq: asNum(r.read_seq),
  deliveredSeq: asNum(r.delivered_seq),
  muted: asBool(r.muted),
  pinned: asBool(r.pinned),
  pts: asNum(r.pts),
});

const toConversation = (r: Record<string, unknown>): ConversationRow => ({
  id: asId(r.id),
  type: asNum(r.type),
  name: r.name as string,
  mutedAll: asBool(r.muted_all),
  lastSeq: asNum(r.last_seq),
  lastMessageAt: asNum(r.last_message_at),
});

const toMessage = (r: Record<string, unknown>): MessageRow => ({
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

/** A message row as SQLite's json_array in `range`: ids as text, the rest as numbers or text. */
type JsonMessage = [
  seq: number,
  id: string,
  senderId: string,
  clientMsgId: string,
  type: number,
  content: string,
  replyToSeq: number,
  mentions: string,
  mentionAll: number,
  createdAt: number,
  recalledAt: number | null,
];

const fromJsonRow = (convId: string, r: JsonMessage): MessageRow => ({
  convId,
  seq: r[0],
  id: r[1],
  senderId: r[2],
  clientMsgId: r[3],
  type: r[4],
  content: r[5],
  replyToSeq: r[6],
  mentions: r[7] ? r[7].split(',') : [],
  mentionAll: r[8] !== 0,
  createdAt: r[9],
  recalledAt: r[10],
});

/** Most rows one INSERT statement carries (a batch of sends is split into statements of this size). */
const INSERT_ROWS = 64;
/** Most rows one batched cursor or seq statement names (PostgreSQL, MariaDB). */
const BATCH_ROWS = 400;

/** A cursor move of one member: read and/or delivered up to a seq (forward only). */
export interface CursorMove {
  convId: string;
  userId: string;
  read?: number;
  delivered?: number;
}

/** How often the SQLite send-context cache looks for other processes' commits, ms. */
const VERSION_CHECK_MS = 20;

const memberKey = (convId: string, userId: string) => `${convId}:${userId}`;

/**
 * A history page's rows (`[seq, ...]`, as SQLite's json_array gives them) by seq, ascending
 * or descending, whatever order they came in (in place; one pass when already in order).
 */
export function pageInOrder<R extends readonly [number, ...unknown[]]>(rows: R[], ascending: boolean): R[] {
  return rows.sort(ascending ? (a, b) => a[0] - b[0] : (a, b) => b[0] - a[0]);
}

/** What sending to (or acknowledging in) a conversation needs to know; see `sendContext`. */
export interface SendContext {
  conv: ConversationRow;
  me: MemberRow;
  /** 1:1 only: the members who have not left (the push audience). */
  directMembers: string[] | undefined;
  hidesReceipts: boolean;
}

function toSendContext(r: Record<string, unknown>): SendContext {
  const me = toMember(r);
  const conv = toConversation({ ...r, id: r.conv_id });
  let directMembers: string[] | undefined;
  if (conv.type === CONV_DIRECT) {
    directMembers = [];
    if (me.leftSeq === null) directMembers.push(me.userId);
    if (r.peer_id !== null && r.peer_id !== undefined && (r.peer_left_seq ?? null) === null)
      directMembers.push(asId(r.peer_id));
  }
  return { conv, me, directMembers, hidesReceipts: r.hides != null && asBool(r.hides) };
}

function chunks<T>(list: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < list.length; i += size) out.push(list.slice(i, i + size));
  return out;
}

/** The message service's SQL. Nothing outside this service reads these tables. */
export class MessageRepository {
  readonly db: Kysely<MessageTables>;
  private readonly writeDb: Kysely<MessageTables>;
  readonly engine: SqlEngine;
  private readonly direct: SqliteDirect | undefined;
  /** SQLite: send contexts in memory (see ContextCache); undefined on networked engines. */
  private readonly contexts: ContextCache | undefined;
  /** SQLite's data_version when last looked at, and when (`performance.now()`). */
  private dataVersion = 0;
  private versionCheckedAt = -Infinity;
  /**
   * The open group commit on SQLite (one at a time: it holds the connection) and its cache
   * changes, applied once it committed. A slot, not a WeakMap by transaction: V8's scavenges
   * keep the young entries of an old WeakMap alive, and this one took two per commit.
   */
  private openCommit: { tx: QueryRunner; hot: (() => void)[] } | undefined;

  /** The queries every send runs, compiled once (see `prepared`). */
  private readonly q;

  constructor(s: SqlDatabase) {
    this.db = s.db as Kysely<MessageTables>;
    this.writeDb = s.writeDb as Kysely<MessageTables>;
    this.engine = s.engine;
    this.direct = s.direct;
    if (this.direct) {
      this.contexts = new ContextCache();
      this.dataVersion = this.direct.dataVersion();
    }
    const db = this.db;
    this.q = {
      membership: prepared<{ conv: string; user: string }>(() =>
        db
          .selectFrom('msg_members as m')
          .innerJoin('msg_conversations as c', 'c.id', 'm.conv_id')
          .selectAll('m')
          .select(['c.type', 'c.name', 'c.muted_all', 'c.last_seq', 'c.last_message_at'])
          .where('m.conv_id', '=', slot('conv'))
          .where('m.user_id', '=', slot('user')),
      ),
      sendContext: prepared<{ conv: string; user: string; direct: number }>(() =>
        this.contextSelect(slot('direct'))
          .where('m.conv_id', '=', slot('conv'))
          .where('m.user_id', '=', slot('user')),
      ),
      activeMemberIds: prepared<{ conv: string }>(() =>
        db
          .selectFrom('msg_members')
          .select('user_id')
          .where('conv_id', '=', slot('conv'))
          .where('left_seq', 'is', null),
      ),
      userState: prepared<{ user: string }>(() =>
        db.selectFrom('msg_user_state').selectAll().where('user_id', '=', slot('user')),
      ),
      messageByClientId: prepared<{ sender: string; cmid: string }>(() =>
        db
          .selectFrom('msg_messages')
          .selectAll()
          .where('sender_id', '=', slot('sender'))
          .where('client_msg_id', '=', slot('cmid')),
      ),
      bumpSeq: prepared<{ conv: string; n: number; now: number }>(() => {
        const q = db
          .updateTable('msg_conversations')
          .set({ last_seq: sql<number>`last_seq + ${slot<number>('n')}`, last_message_at: slot('now') })
          .where('id', '=', slot('conv'));
        // One statement instead of two where the engine can return the updated value.
        return this.engine === 'mysql' ? q : q.returning('last_seq');
      }),
      lastSeq: prepared<{ conv: string }>(() =>
        db.selectFrom('msg_conversations').select('last_seq').where('id', '=', slot('conv')),
      ),
      advanceDelivered: prepared<{ conv: string; user: string; seq: number }>(() =>
        db
          .updateTable('msg_members')
          .set({ delivered_seq: slot('seq') })
          .where('conv_id', '=', slot('conv'))
          .where('user_id', '=', slot('user'))
          .where('delivered_seq', '<', slot('seq')),
      ),
      advanceRead: prepared<{ conv: string; user: string; seq: number }>(() =>
        db
          .updateTable('msg_members')
          .set({
            read_seq: sql`case when read_seq < ${slot('seq')} then ${slot('seq')} else read_seq end`,
            delivered_seq: sql`case when delivered_seq < ${slot('seq')} then ${slot('seq')} else delivered_seq end`,
          })
          .where('conv_id', '=', slot('conv'))
          .where('user_id', '=', slot('user'))
          .where((eb) => eb.or([eb('read_seq', '<', slot('seq')), eb('delivered_seq', '<', slot('seq'))])),
      ),
    };
  }

  transaction<T>(fn: (tx: Transaction<MessageTables>) => Promise<T>): Promise<T> {
    return this.db.transaction().execute(fn);
  }

  /**
   * A transaction of the group-commit writer, on the writers' own connections; on SQLite on
   * the direct runner (it runs only the prepared statements of `storeNew` and
   * `advanceDeliveredMany`, without Kysely's per-query promise chain).
   */
  async groupCommit<T>(fn: (tx: CommitTx) => Promise<T>): Promise<T> {
    if (!this.direct) return this.writeDb.transaction().execute(fn);
    const hot: (() => void)[] = [];
    const out = await this.direct.transaction(async (tx) => {
      this.openCommit = { tx, hot };
      // Reads that ran before this transaction must not fill the cache any more.
      this.contexts?.written();
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
   * Notes a change of the send context made in `tx`: applied in place when `tx` is a
   * group commit on SQLite's direct runner (once it commits), otherwise the conversation's
   * cached contexts are dropped.
   */
  private touched(tx: CommitTx, convId: string, apply: (c: ContextCache) => void): void {
    const c = this.contexts;
    if (!c) return;
    const open = this.openCommit;
    if (open && open.tx === tx) open.hot.push(() => apply(c));
    else c.dropConversation(convId);
  }

  /**
   * Drops every cached context when another process committed to the SQLite file (a seed
   * or maintenance command beside the server). Looked at most every VERSION_CHECK_MS (the
   * pragma costs ~25 us): another process's change shows at most that much later, as if it
   * had been committed that much later.
   */
  private checkOtherWriters(): void {
    const now = performance.now();
    if (now - this.versionCheckedAt < VERSION_CHECK_MS || !this.direct || !this.contexts) return;
    this.versionCheckedAt = now;
    const v = this.direct.dataVersion();
    if (v !== this.dataVersion) {
      this.dataVersion = v;
      this.contexts.dropAll();
    }
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
    const r = (await this.q.membership(this.db, { conv: convId, user: userId })).rows[0];
    if (!r) return undefined;
    return { me: toMember(r), conv: toConversation({ ...r, id: r.conv_id }) };
  }

  /** The member rows with their conversation, 1:1 peer and receipt setting (see sendContext). */
  private contextSelect(direct: unknown) {
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

  /**
   * What a send (or a delivered ack) needs in one query: the member row and its
   * conversation, whether the member hides read receipts, and for a 1:1 conversation the
   * ids of its members who have not left (the push audience; groups look theirs up after
   * the commit). On SQLite it comes from the ContextCache or one query on the direct runner;
   * on a networked database the lookups of one event-loop turn go out as one query (every
   * query is a round trip through a busy event loop and a pool of ten connections: one each
   * made the pool the limit of a message process).
   */
  sendContext(convId: string, userId: string): Promise<SendContext | undefined> {
    if (this.direct && this.contexts) {
      const cache = this.contexts;
      this.checkOtherWriters();
      const hit = cache.get(convId, userId);
      if (hit) return Promise.resolve(hit);
      const args = { conv: convId, user: userId, direct: CONV_DIRECT };
      let epoch = 0;
      return this.direct
        .read((db) => {
          epoch = cache.epoch(); // the query runs now, synchronously, under the lock
          return this.q.sendContext(db, args);
        })
        .then((res) => {
          const ctx = res.rows[0] && toSendContext(res.rows[0]);
          if (ctx) cache.fill(ctx, epoch);
          return ctx;
        });
    }
    return new Promise((resolve, reject) => {
      if (!this.contextWaiting.length) setImmediate(() => void this.loadContexts());
      this.contextWaiting.push({ convId, userId, resolve, reject });
    });
  }

  private contextWaiting: {
    convId: string;
    userId: string;
    resolve: (c: SendContext | undefined) => void;
    reject: (err: unknown) => void;
  }[] = [];

  private async loadContexts(): Promise<void> {
    const waiting = this.contextWaiting;
    this.contextWaiting = [];
    const keys = [...new Set(waiting.map((w) => memberKey(w.convId, w.userId)))];
    const found = new Map<string, SendContext>();
    try {
      for (const part of chunks(keys, BATCH_ROWS)) {
        const rows = await this.contextSelect(CONV_DIRECT)
          .where((eb) =>
            eb.or(
              part.map((k) => {
                const [conv, user] = k.split(':');
                return eb.and([eb('m.conv_id', '=', conv!), eb('m.user_id', '=', user!)]);
              }),
            ),
          )
          .execute();
        for (const r of rows) {
          const c = toSendContext(r);
          found.set(memberKey(c.conv.id, c.me.userId), c);
        }
      }
    } catch (err) {
      for (const w of waiting) w.reject(err);
      return;
    }
    for (const w of waiting) w.resolve(found.get(memberKey(w.convId, w.userId)));
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
    const { rows } = await this.q.activeMemberIds(db, { conv: convId });
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

  /**
   * Stamps the member rows of conversations whose head moved since their last stamp with one
   * new pts of the user (messages do not bump pts on the send path: that would be a write per
   * member per message). Returns the user's pts afterwards.
   */
  async stampMovedHeads(userId: string): Promise<number> {
    const stamped: string[] = [];
    const pts = await this.db.transaction().execute(async (tx) => {
      const moved = (await this.heads(userId, tx)).filter((h) => h.lastSeq > h.syncedSeq);
      if (!moved.length) return (await this.userState(userId, tx)).pts;
      const next = (await this.bumpUserPts(tx, [userId])).get(userId) ?? 0;
      for (const h of moved) {
        await tx
          .updateTable('msg_members')
          .set({ pts: next, synced_seq: h.lastSeq })
          .where('conv_id', '=', h.convId)
          .where('user_id', '=', userId)
          .execute();
        stamped.push(h.convId);
      }
      return next;
    });
    for (const convId of stamped) this.contexts?.dropConversation(convId);
    return pts;
  }

  async messageByClientId(
    senderId: string,
    clientMsgId: string,
    db: Db = this.db,
  ): Promise<MessageRow | undefined> {
    const r = (await this.q.messageByClientId(db, { sender: senderId, cmid: clientMsgId })).rows[0];
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
  async range(
    convId: string,
    o: { after?: number; before?: number; min: number; max: number; limit: number },
  ): Promise<MessageRow[]> {
    let q = this.db
      .selectFrom('msg_messages')
      .selectAll()
      .where('conv_id', '=', convId)
      .where('seq', '>=', o.min)
      .where('seq', '<=', o.max);
    const forward = o.after !== undefined;
    if (forward) q = q.where('seq', '>', o.after!).orderBy('seq', 'asc');
    else q = q.where('seq', '<', o.before ?? Number.MAX_SAFE_INTEGER).orderBy('seq', 'desc');
    q = q.limit(o.limit);
    if (this.engine !== 'sqlite') return (await q.execute()).map(toMessage);
    // SQLite: the page as one JSON array built in SQLite and parsed by JSON.parse. better-sqlite3
    // makes a JS object with a BigInt per integer column for every row (~5 us a row: most of
    // serving history, and of a returning user's catch-up); one string is a few us in all.
    // SQL does not promise that the aggregate sees the rows in the subquery's order, and an
    // ORDER BY inside the aggregate sorts them again in SQLite (half of the query's time for a
    // page of 200): they are put in order here instead, where an ordered page costs one pass.
    const page = await this.db
      .selectFrom(q.as('m'))
      .select(
        sql<string>`json_group_array(json_array(m.seq, cast(m.id as text), cast(m.sender_id as text),
          m.client_msg_id, m.type, m.content, m.reply_to_seq, m.mentions, m.mention_all, m.created_at,
          m.recalled_at))`.as('page'),
      )
      .executeTakeFirst();
    const rows = pageInOrder(JSON.parse(page?.page ?? '[]') as JsonMessage[], forward);
    return rows.map((r) => fromJsonRow(convId, r));
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
    const res = await this.q.bumpSeq(tx, { conv: convId, n, now });
    const r = res.rows[0] ?? (await this.q.lastSeq(tx, { conv: convId })).rows[0];
    if (!r) throw new Error(`conversation ${convId} vanished while sending`);
    const last = asNum(r.last_seq);
    this.touched(tx, convId, (c) => c.headMoved(convId, last, now));
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
    for (let i = 0; i < rows.length; i += INSERT_ROWS)
      await this.insertRows(tx, rows.slice(i, i + INSERT_ROWS));
    const cursors = new Map<string, MessageRow>();
    for (const r of rows) cursors.set(memberKey(r.convId, r.senderId), r); // the last one wins: the highest seq
    if (this.engine === 'sqlite') {
      for (const r of cursors.values()) {
        await this.q.advanceRead(tx, { conv: r.convId, user: r.senderId, seq: r.seq });
        this.touched(tx, r.convId, (c) => c.cursorMoved(r.convId, r.senderId, { read: r.seq }));
      }
    } else {
      await this.advanceMany(
        builder(tx),
        [...cursors.values()].map((r) => ({ convId: r.convId, userId: r.senderId, read: r.seq })),
      );
    }
  }

  /**
   * Reserves seqs of several conversations (ids in ascending order) in the caller's
   * transaction; returns the last reserved seq of each. On SQLite one UPDATE ... RETURNING
   * each (in-process, microseconds); elsewhere, where every statement is a round trip that
   * waits for a busy event loop, one statement for the whole batch on PostgreSQL (UPDATE ...
   * FROM a locking subquery ... RETURNING) and two on MariaDB (no UPDATE ... RETURNING): the
   * rows locked in id order (so concurrent writers cannot deadlock on them), then updated.
   */
  async reserveSeqsMany(
    tx: CommitTx,
    list: readonly { convId: string; n: number }[],
    now: number,
  ): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    if (this.engine === 'sqlite') {
      for (const { convId, n } of list) out.set(convId, await this.reserveSeqs(tx, convId, n, now));
      return out;
    }
    if (this.engine === 'postgres') {
      // One round trip: the rows locked in id order by the subquery, then updated, and the
      // new heads returned.
      for (const part of chunks(list, BATCH_ROWS)) {
        const ids = part.map((p) => this.int(p.convId));
        const values = sql.join(part.map((p) => sql`(${this.int(p.convId)}, ${this.int(p.n)})`));
        const { rows } = await sql<{ id: unknown; last_seq: unknown }>`update msg_conversations c
          set last_seq = c.last_seq + v.n, last_message_at = ${this.int(now)}
          from (select id from msg_conversations where id in (${sql.join(ids)}) order by id for update) l,
            (values ${values}) as v(id, n)
          where c.id = l.id and v.id = l.id
          returning c.id, c.last_seq`.execute(builder(tx));
        const heads = new Map(rows.map((r) => [asId(r.id), asNum(r.last_seq)]));
        for (const p of part) {
          const head = heads.get(p.convId);
          if (head === undefined) throw new Error(`conversation ${p.convId} vanished while sending`);
          out.set(p.convId, head);
        }
      }
      return out;
    }
    for (const part of chunks(list, BATCH_ROWS)) {
      const ids = part.map((p) => this.int(p.convId));
      const { rows } = await sql<{
        id: unknown;
        last_seq: unknown;
      }>`select id, last_seq from msg_conversations
        where id in (${sql.join(ids)}) order by id for update`.execute(builder(tx));
      const have = new Map(rows.map((r) => [asId(r.id), asNum(r.last_seq)]));
      const whens = part.map((p) => {
        const head = have.get(p.convId);
        if (head === undefined) throw new Error(`conversation ${p.convId} vanished while sending`);
        out.set(p.convId, head + p.n);
        return sql`when ${this.int(p.convId)} then ${this.int(head + p.n)}`;
      });
      await sql`update msg_conversations set last_seq = case id ${sql.join(whens, sql` `)} end,
        last_message_at = ${this.int(now)} where id in (${sql.join(ids)})`.execute(builder(tx));
    }
    return out;
  }

  /**
   * Moves members' read and delivered cursors forward (a read moves delivered too) in the
   * caller's transaction for the whole batch: the rows read and locked in key order, then
   * one UPDATE of those that move; one statement on PostgreSQL, two on MariaDB. Returns the keys
   * (`conv:user`) whose delivered cursor moved.
   */
  private async advanceMany(tx: Db, moves: readonly CursorMove[]): Promise<Set<string>> {
    const want = new Map<string, CursorMove>();
    for (const m of moves) {
      const k = memberKey(m.convId, m.userId);
      const w = want.get(k);
      if (!w) want.set(k, { ...m });
      else {
        w.read = Math.max(w.read ?? 0, m.read ?? 0);
        w.delivered = Math.max(w.delivered ?? 0, m.delivered ?? 0);
      }
    }
    const movedDelivered = new Set<string>();
    const keys = [...want.keys()].sort();
    for (const part of chunks(keys, BATCH_ROWS)) {
      const pairs = (ks: string[]) =>
        sql.join(
          ks.map((k) => {
            const w = want.get(k)!;
            return sql`(conv_id = ${this.int(w.convId)} and user_id = ${this.int(w.userId)})`;
          }),
          sql` or `,
        );
      if (this.engine === 'postgres') {
        // One round trip: the rows read and locked in key order by the subquery (l: the
        // values before), updated where a cursor moves, old and new delivered returned.
        const values = sql.join(
          part.map((k) => {
            const w = want.get(k)!;
            return sql`(${this.int(w.convId)}, ${this.int(w.userId)}, ${this.int(w.read ?? 0)}, ${this.int(w.delivered ?? 0)})`;
          }),
        );
        const { rows } = await sql<{
          conv_id: unknown;
          user_id: unknown;
          before: unknown;
          delivered_seq: unknown;
        }>`update msg_members m
          set read_seq = greatest(l.read_seq, v.rd),
            delivered_seq = greatest(l.delivered_seq, v.dl, l.read_seq, v.rd)
          from (select conv_id, user_id, read_seq, delivered_seq from msg_members where ${pairs(part)}
            order by conv_id, user_id for update) l,
            (values ${values}) as v(conv_id, user_id, rd, dl)
          where m.conv_id = l.conv_id and m.user_id = l.user_id
            and v.conv_id = l.conv_id and v.user_id = l.user_id
            and (v.rd > l.read_seq or greatest(v.dl, v.rd, l.read_seq) > l.delivered_seq)
          returning m.conv_id, m.user_id, l.delivered_seq as before, m.delivered_seq`.execute(tx);
        for (const r of rows)
          if (asNum(r.delivered_seq) > asNum(r.before))
            movedDelivered.add(memberKey(asId(r.conv_id), asId(r.user_id)));
        continue;
      }
      const { rows } = await sql<{
        conv_id: unknown;
        user_id: unknown;
        read_seq: unknown;
        delivered_seq: unknown;
      }>`select conv_id, user_id, read_seq, delivered_seq from msg_members where ${pairs(part)}
        order by conv_id, user_id for update`.execute(tx);
      const next: { k: string; read: number; delivered: number }[] = [];
      for (const r of rows) {
        const k = memberKey(asId(r.conv_id), asId(r.user_id));
        const w = want.get(k);
        if (!w) continue;
        const read = Math.max(asNum(r.read_seq), w.read ?? 0);
        const delivered = Math.max(asNum(r.delivered_seq), w.delivered ?? 0, read);
        if (delivered > asNum(r.delivered_seq)) movedDelivered.add(k);
        if (read !== asNum(r.read_seq) || delivered !== asNum(r.delivered_seq))
          next.push({ k, read, delivered });
      }
      if (!next.length) continue;
      const when = (col: 'read' | 'delivered') =>
        sql.join(
          next.map((n) => {
            const w = want.get(n.k)!;
            return sql`when conv_id = ${this.int(w.convId)} and user_id = ${this.int(w.userId)} then ${this.int(n[col])}`;
          }),
          sql` `,
        );
      await sql`update msg_members set read_seq = case ${when('read')} else read_seq end,
        delivered_seq = case ${when('delivered')} else delivered_seq end
        where ${pairs(next.map((n) => n.k))}`.execute(tx);
    }
    return movedDelivered;
  }

  /**
   * An id or number as a typed SQL integer: PostgreSQL types an untyped CASE result as text,
   * and a typed integer keeps snowflake ids (beyond 2^53) from ever being compared as
   * floating point, whatever an engine makes of a string parameter in an expression.
   */
  private int(v: string | number) {
    return this.engine === 'mysql' ? sql`cast(${v} as signed)` : sql`cast(${v} as bigint)`;
  }

  private insertRows(tx: CommitTx, rows: MessageRow[]): Promise<unknown> {
    return this.insert(tx, rows);
  }

  /** INSERTs of n messages, compiled once per n (see `preparedRows`). */
  private readonly insert = preparedRows<MessageRow>(
    {
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
    },
    (values) =>
      this.db
        .insertInto('msg_messages')
        .values(
          values.map((v) => ({ ...v, recalled_at: null }) as Insertable<MessageTables['msg_messages']>),
        ),
  );

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
    this.contexts?.dropConversation(convId);
    return Number(res.numUpdatedRows) > 0;
  }

  /**
   * Moves delivered cursors forward only, in the caller's transaction; returns for each
   * whether it moved. Several moves of one member's cursor in a list: the highest wins.
   */
  async advanceDeliveredMany(
    tx: CommitTx,
    moves: readonly { convId: string; userId: string; seq: number }[],
  ): Promise<boolean[]> {
    const moved =
      this.engine === 'sqlite'
        ? await this.advanceDeliveredEach(tx, moves)
        : await this.advanceMany(
            builder(tx),
            moves.map((m) => ({ convId: m.convId, userId: m.userId, delivered: m.seq })),
          );
    return moves.map((m) => moved.has(memberKey(m.convId, m.userId)));
  }

  /** SQLite: one prepared UPDATE per member (in-process, microseconds), the highest seq of each. */
  private async advanceDeliveredEach(
    tx: CommitTx,
    moves: readonly { convId: string; userId: string; seq: number }[],
  ): Promise<Set<string>> {
    const highest = new Map<string, { convId: string; userId: string; seq: number }>();
    for (const m of moves) {
      const k = memberKey(m.convId, m.userId);
      if ((highest.get(k)?.seq ?? -1) < m.seq) highest.set(k, m);
    }
    const moved = new Set<string>();
    for (const [k, m] of highest) {
      const res = await this.q.advanceDelivered(tx, { conv: m.convId, user: m.userId, seq: m.seq });
      if (Number(res.numAffectedRows ?? 0) > 0) {
        moved.add(k);
        this.touched(tx, m.convId, (c) => c.cursorMoved(m.convId, m.userId, { delivered: m.seq }));
      }
    }
    return moved;
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
    this.contexts?.dropConversation(convId);
  }

  async insertMember(db: Db, row: Insertable<MessageTables['msg_members']>): Promise<void> {
    await db.insertInto('msg_members').values(row).execute();
    this.contexts?.dropConversation(row.conv_id);
  }

  async insertConversation(db: Db, row: MessageTables['msg_conversations']): Promise<void> {
    await db.insertInto('msg_conversations').values(row).execute();
    this.contexts?.dropConversation(row.id);
  }

  async updateConversation(
    db: Db,
    id: string,
    set: Partial<MessageTables['msg_conversations']>,
  ): Promise<void> {
    await db.updateTable('msg_conversations').set(set).where('id', '=', id).execute();
    this.contexts?.dropConversation(id);
  }

  /**
   * Bumps the update counter of each user and stamps their member row of `convId` with it,
   * so their next Sync reports the conversation. Returns the new pts per user.
   */
  async bumpPts(db: Db, convId: string, userIds: string[]): Promise<Map<string, number>> {
    if (!userIds.length) return new Map<string, number>();
    const out = await this.bumpUserPts(db, userIds);
    await db
      .updateTable('msg_members')
      .set({ pts: sql<number>`(select s.pts from msg_user_state s where s.user_id = msg_members.user_id)` })
      .where('conv_id', '=', convId)
      .where('user_id', 'in', userIds)
      .execute();
    this.contexts?.dropConversation(convId);
    return out;
  }

  /** Adds one to each user's pts; returns the new values. */
  private async bumpUserPts(db: Db, userIds: string[]): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    await this.ensureUserState(db, userIds);
    await db
      .updateTable('msg_user_state')
      .set({ pts: sql<number>`pts + 1` })
      .where('user_id', 'in', userIds)
      .execute();
    const rows = await db
      .selectFrom('msg_user_state')
      .select(['user_id', 'pts'])
      .where('user_id', 'in', userIds)
      .execute();
    for (const r of rows) out.set(asId(r.user_id), asNum(r.pts));
    return out;
  }

  async userState(userId: string, db: Db = this.db): Promise<{ pts: number; hideReadReceipts: boolean }> {
    const r = (await this.q.userState(db, { user: userId })).rows[0];
    return { pts: r ? asNum(r.pts) : 0, hideReadReceipts: r ? asBool(r.hide_read_receipts) : false };
  }

  async hidingReceipts(userIds: string[]): Promise<Set<string>> {
    if (!userIds.length) return new Set();
    const rows = await this.db
      .selectFrom('msg_user_state')
      .select('user_id')
      .where('user_id', 'in', userIds)
      .where('hide_read_receipts', '=', 1)
      .execute();
    return new Set(rows.map((r) => asId(r.user_id)));
  }

  async setHideReadReceipts(userId: string, hide: boolean): Promise<void> {
    await this.ensureUserState(this.db, [userId]);
    await this.db
      .updateTable('msg_user_state')
      .set({ hide_read_receipts: hide ? 1 : 0 })
      .where('user_id', '=', userId)
      .execute();
    // Rare (a setting): every cached context of the user would carry it.
    this.contexts?.dropAll();
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

  private async ensureUserState(db: Db, userIds: string[]): Promise<void> {
    const have = new Set(
      (await db.selectFrom('msg_user_state').select('user_id').where('user_id', 'in', userIds).execute()).map(
        (r) => asId(r.user_id),
      ),
    );
    const missing = userIds
      .filter((u) => !have.has(u))
      .map((user_id) => ({ user_id, pts: 0, hide_read_receipts: 0 }));
    if (!missing.length) return;
    if (this.engine === 'mysql') await db.insertInto('msg_user_state').ignore().values(missing).execute();
    else
      await db
        .insertInto('msg_user_state')
        .values(missing)
        .onConflict((oc) => oc.column('user_id').doNothing())
        .execute();
  }
}
