import { sql, type Kysely, type RawBuilder } from 'kysely';
import { CONV_DIRECT, type MessageRow, type MessageTables } from '../message.tables.js';
import { MessageStore } from './message-store.js';
import {
  builder,
  chunks,
  memberKey,
  toSendContext,
  type CommitTx,
  type CursorMove,
  type Db,
  type DeliveredMove,
  type HotStatement,
  type SendContext,
} from './rows.js';

/** Most rows one batched cursor, seq or context statement names. */
export const BATCH_ROWS = 400;

/** Cursor moves by member key (`conv:user`), the highest of each member's moves. */
export type WantedMoves = ReadonlyMap<string, CursorMove>;

/** A sample batch for the SQL snapshot: two members, two conversations. */
export const SAMPLE_MOVES: WantedMoves = new Map([
  ['1:2', { convId: '1', userId: '2', read: 3, delivered: 3 }],
  ['4:5', { convId: '4', userId: '5', delivered: 6 }],
]);
export const SAMPLE_SEQS = [
  { convId: '1', n: 2 },
  { convId: '4', n: 1 },
];

/** An id or number as a typed SQL integer of the engine (see postgres-message-store.ts). */
export type SqlInt = (v: string | number) => RawBuilder<unknown>;

/** `(conv_id = .. and user_id = ..) or ...` for the members `keys` of `want`. */
export function memberPairs(want: WantedMoves, keys: readonly string[], int: SqlInt) {
  return sql.join(
    keys.map((k) => {
      const w = want.get(k)!;
      return sql`(conv_id = ${int(w.convId)} and user_id = ${int(w.userId)})`;
    }),
    sql` or `,
  );
}

/**
 * The message store on a networked engine (PostgreSQL, MariaDB/MySQL): every statement is a
 * round trip through a busy event loop and a pool of ten connections, so the send path
 * runs one statement per batch, not per row, and the group commit has a pool of its own
 * (its transactions never queue behind reads). postgres-message-store.ts and
 * mysql-message-store.ts write those statements in their SQL.
 */
export abstract class PooledMessageStore extends MessageStore {
  private readonly writeDb: Kysely<MessageTables>;
  private contextWaiting: {
    convId: string;
    userId: string;
    resolve: (c: SendContext | undefined) => void;
    reject: (err: unknown) => void;
  }[] = [];

  constructor(db: Kysely<MessageTables>, writeDb: Kysely<MessageTables>) {
    super(db);
    this.writeDb = writeDb;
  }

  /**
   * Reserves the seqs of `part` (ids ascending) in `tx`, the rows locked in id order, and
   * sets the new head of each in `out`.
   */
  protected abstract reserveChunk(
    tx: Db,
    part: readonly { convId: string; n: number }[],
    now: number,
    out: Map<string, number>,
  ): Promise<void>;

  /**
   * Moves the cursors `keys` (sorted) of `want` forward in `tx`, the rows read and locked
   * in key order; adds the keys whose delivered cursor moved to `movedDelivered`.
   */
  protected abstract advanceChunk(
    tx: Db,
    want: WantedMoves,
    keys: readonly string[],
    movedDelivered: Set<string>,
  ): Promise<void>;

  groupCommit<T>(fn: (tx: CommitTx) => Promise<T>): Promise<T> {
    return this.writeDb.transaction().execute(fn);
  }

  /**
   * The lookups of one event-loop turn go out as one query (every query is a round trip
   * through a busy event loop and a pool of ten connections: one each made the pool the
   * limit of a message process).
   */
  sendContext(convId: string, userId: string): Promise<SendContext | undefined> {
    return new Promise((resolve, reject) => {
      if (!this.contextWaiting.length) setImmediate(() => void this.loadContexts());
      this.contextWaiting.push({ convId, userId, resolve, reject });
    });
  }

  private async loadContexts(): Promise<void> {
    const waiting = this.contextWaiting;
    this.contextWaiting = [];
    const keys = [...new Set(waiting.map((w) => memberKey(w.convId, w.userId)))];
    const found = new Map<string, SendContext>();
    try {
      for (const part of chunks(keys, BATCH_ROWS)) {
        for (const r of await this.contextsOf(part).execute()) {
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

  /** The send contexts of members by key (`conv:user`). */
  private contextsOf(keys: readonly string[]) {
    return this.contextSelect(CONV_DIRECT).where((eb) =>
      eb.or(
        keys.map((k) => {
          const [conv, user] = k.split(':');
          return eb.and([eb('m.conv_id', '=', conv!), eb('m.user_id', '=', user!)]);
        }),
      ),
    );
  }

  protected override batchStatements(): HotStatement[] {
    return [
      ...super.batchStatements(),
      {
        name: 'sendContext (the lookups of one turn; 2 members)',
        compile: () => this.contextsOf(['1:2', '4:5']).compile(),
      },
    ];
  }

  /** One or two statements per BATCH_ROWS conversations, by engine. */
  async reserveSeqsMany(
    tx: CommitTx,
    list: readonly { convId: string; n: number }[],
    now: number,
  ): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    for (const part of chunks(list, BATCH_ROWS)) await this.reserveChunk(builder(tx), part, now, out);
    return out;
  }

  protected async moveSenderReads(tx: CommitTx, newest: ReadonlyMap<string, MessageRow>): Promise<void> {
    await this.advanceMany(
      builder(tx),
      [...newest.values()].map((r) => ({ convId: r.convId, userId: r.senderId, read: r.seq })),
    );
  }

  protected moveDelivered(tx: CommitTx, moves: readonly DeliveredMove[]): Promise<Set<string>> {
    return this.advanceMany(
      builder(tx),
      moves.map((m) => ({ convId: m.convId, userId: m.userId, delivered: m.seq })),
    );
  }

  /**
   * Moves members' read and delivered cursors forward (a read moves delivered too) in the
   * caller's transaction for the whole batch: the rows read and locked in key order, then
   * one UPDATE of those that move (see `advanceChunk`). Returns the keys (`conv:user`)
   * whose delivered cursor moved.
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
    for (const part of chunks(keys, BATCH_ROWS)) await this.advanceChunk(tx, want, part, movedDelivered);
    return movedDelivered;
  }
}
