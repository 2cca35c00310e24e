import { sql, type Compilable, type RawBuilder } from 'kysely';
import { slot } from '../../../adapters/sql/prepared.js';
import { asId, asNum } from '../../../adapters/sql/sql.js';
import {
  PooledMessageStore,
  SAMPLE_MOVES,
  SAMPLE_SEQS,
  memberPairs,
  type SqlInt,
  type WantedMoves,
} from './pooled-message-store.js';
import { memberKey, type CommitTx, type Db, type HotStatement } from './rows.js';
import type { MessageTables } from '../message.tables.js';
import type { Insertable } from 'kysely';

/** An id or number as a typed SQL integer (see postgres-message-store.ts). */
const int: SqlInt = (v) => sql`cast(${v} as signed)`;

/** A member's cursors after a move: `k` its key in the batch's moves. */
interface NextCursors {
  k: string;
  read: number;
  delivered: number;
}

/**
 * The message store on MariaDB/MySQL: no UPDATE ... RETURNING, so each batch statement of
 * the send path is two, SELECT ... FOR UPDATE (the rows locked in key order) then UPDATE.
 */
export class MysqlMessageStore extends PooledMessageStore {
  private readonly lastSeq = this.hot<{ conv: string }>('lastSeq', () =>
    this.db.selectFrom('msg_conversations').select('last_seq').where('id', '=', slot('conv')),
  );

  /** The seq bump without RETURNING: the head is read after it (`seqAfterBump`). */
  protected override bumpSeqStatement(): Compilable {
    return this.seqUpdate();
  }

  protected override async seqAfterBump(tx: CommitTx, convId: string): Promise<number> {
    const r = (await this.lastSeq(tx, { conv: convId })).rows[0];
    if (!r) throw new Error(`conversation ${convId} vanished while sending`);
    return asNum(r.last_seq);
  }

  protected override async insertUserStates(
    db: Db,
    rows: Insertable<MessageTables['msg_user_state']>[],
  ): Promise<void> {
    await db.insertInto('msg_user_state').ignore().values(rows).execute();
  }

  protected async reserveChunk(
    tx: Db,
    part: readonly { convId: string; n: number }[],
    now: number,
    out: Map<string, number>,
  ): Promise<void> {
    const ids = part.map((p) => int(p.convId));
    const { rows } = await this.lockConversations(ids).execute(tx);
    const have = new Map(rows.map((r) => [asId(r.id), asNum(r.last_seq)]));
    for (const p of part) {
      const head = have.get(p.convId);
      if (head === undefined) throw new Error(`conversation ${p.convId} vanished while sending`);
      out.set(p.convId, head + p.n);
    }
    await this.setHeads(part, ids, out, now).execute(tx);
  }

  private lockConversations(ids: RawBuilder<unknown>[]) {
    return sql<{
      id: unknown;
      last_seq: unknown;
    }>`select id, last_seq from msg_conversations
        where id in (${sql.join(ids)}) order by id for update`;
  }

  private setHeads(
    part: readonly { convId: string }[],
    ids: RawBuilder<unknown>[],
    heads: ReadonlyMap<string, number>,
    now: number,
  ) {
    const whens = part.map((p) => sql`when ${int(p.convId)} then ${int(heads.get(p.convId)!)}`);
    return sql`update msg_conversations set last_seq = case id ${sql.join(whens, sql` `)} end,
        last_message_at = ${int(now)} where id in (${sql.join(ids)})`;
  }

  protected async advanceChunk(
    tx: Db,
    want: WantedMoves,
    keys: readonly string[],
    movedDelivered: Set<string>,
  ): Promise<void> {
    const { rows } = await this.lockMembers(want, keys).execute(tx);
    const next: NextCursors[] = [];
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
    if (next.length) await this.setCursors(want, next).execute(tx);
  }

  private lockMembers(want: WantedMoves, keys: readonly string[]) {
    return sql<{
      conv_id: unknown;
      user_id: unknown;
      read_seq: unknown;
      delivered_seq: unknown;
    }>`select conv_id, user_id, read_seq, delivered_seq from msg_members where ${memberPairs(want, keys, int)}
        order by conv_id, user_id for update`;
  }

  private setCursors(want: WantedMoves, next: readonly NextCursors[]) {
    const when = (col: 'read' | 'delivered') =>
      sql.join(
        next.map((n) => {
          const w = want.get(n.k)!;
          return sql`when conv_id = ${int(w.convId)} and user_id = ${int(w.userId)} then ${int(n[col])}`;
        }),
        sql` `,
      );
    return sql`update msg_members set read_seq = case ${when('read')} else read_seq end,
        delivered_seq = case ${when('delivered')} else delivered_seq end
        where ${memberPairs(
          want,
          next.map((n) => n.k),
          int,
        )}`;
  }

  protected override batchStatements(): HotStatement[] {
    const ids = SAMPLE_SEQS.map((p) => int(p.convId));
    const heads = new Map(SAMPLE_SEQS.map((p) => [p.convId, 10 + p.n]));
    const keys = [...SAMPLE_MOVES.keys()];
    const next = keys.map((k) => ({ k, read: 3, delivered: 6 }));
    return [
      ...super.batchStatements(),
      {
        name: 'reserveSeqsMany: lock (2 conversations)',
        compile: () => this.lockConversations(ids).compile(this.db),
      },
      {
        name: 'reserveSeqsMany: update (2 conversations)',
        compile: () => this.setHeads(SAMPLE_SEQS, ids, heads, 0).compile(this.db),
      },
      {
        name: 'advance cursors: lock (2 members)',
        compile: () => this.lockMembers(SAMPLE_MOVES, keys).compile(this.db),
      },
      {
        name: 'advance cursors: update (2 members)',
        compile: () => this.setCursors(SAMPLE_MOVES, next).compile(this.db),
      },
    ];
  }
}
