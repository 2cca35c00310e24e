import { sql } from 'kysely';
import { asId, asNum } from '../../../adapters/sql/sql.js';
import {
  PooledMessageStore,
  SAMPLE_MOVES,
  SAMPLE_SEQS,
  memberPairs,
  type SqlInt,
  type WantedMoves,
} from './pooled-message-store.js';
import { memberKey, type Db, type HotStatement } from './rows.js';

/**
 * An id or number as a typed SQL integer: PostgreSQL types an untyped CASE result as text,
 * and a typed integer keeps snowflake ids (beyond 2^53) from ever being compared as
 * floating point, whatever an engine makes of a string parameter in an expression.
 */
const int: SqlInt = (v) => sql`cast(${v} as bigint)`;

/**
 * The message store on PostgreSQL: each batch statement of the send path is one round trip,
 * UPDATE ... FROM a locking subquery ... RETURNING.
 */
export class PostgresMessageStore extends PooledMessageStore {
  protected async reserveChunk(
    tx: Db,
    part: readonly { convId: string; n: number }[],
    now: number,
    out: Map<string, number>,
  ): Promise<void> {
    const { rows } = await this.reserveStatement(part, now).execute(tx);
    const heads = new Map(rows.map((r) => [asId(r.id), asNum(r.last_seq)]));
    for (const p of part) {
      const head = heads.get(p.convId);
      if (head === undefined) throw new Error(`conversation ${p.convId} vanished while sending`);
      out.set(p.convId, head);
    }
  }

  /** The rows locked in id order by the subquery, then updated, and the new heads returned. */
  private reserveStatement(part: readonly { convId: string; n: number }[], now: number) {
    const ids = part.map((p) => int(p.convId));
    const values = sql.join(part.map((p) => sql`(${int(p.convId)}, ${int(p.n)})`));
    return sql<{ id: unknown; last_seq: unknown }>`update msg_conversations c
          set last_seq = c.last_seq + v.n, last_message_at = ${int(now)}
          from (select id from msg_conversations where id in (${sql.join(ids)}) order by id for update) l,
            (values ${values}) as v(id, n)
          where c.id = l.id and v.id = l.id
          returning c.id, c.last_seq`;
  }

  protected async advanceChunk(
    tx: Db,
    want: WantedMoves,
    keys: readonly string[],
    movedDelivered: Set<string>,
  ): Promise<void> {
    const { rows } = await this.advanceStatement(want, keys).execute(tx);
    for (const r of rows)
      if (asNum(r.delivered_seq) > asNum(r.before))
        movedDelivered.add(memberKey(asId(r.conv_id), asId(r.user_id)));
  }

  /**
   * One round trip: the rows read and locked in key order by the subquery (l: the values
   * before), updated where a cursor moves, old and new delivered returned.
   */
  private advanceStatement(want: WantedMoves, keys: readonly string[]) {
    const values = sql.join(
      keys.map((k) => {
        const w = want.get(k)!;
        return sql`(${int(w.convId)}, ${int(w.userId)}, ${int(w.read ?? 0)}, ${int(w.delivered ?? 0)})`;
      }),
    );
    return sql<{
      conv_id: unknown;
      user_id: unknown;
      before: unknown;
      delivered_seq: unknown;
    }>`update msg_members m
          set read_seq = greatest(l.read_seq, v.rd),
            delivered_seq = greatest(l.delivered_seq, v.dl, l.read_seq, v.rd)
          from (select conv_id, user_id, read_seq, delivered_seq from msg_members where ${memberPairs(want, keys, int)}
            order by conv_id, user_id for update) l,
            (values ${values}) as v(conv_id, user_id, rd, dl)
          where m.conv_id = l.conv_id and m.user_id = l.user_id
            and v.conv_id = l.conv_id and v.user_id = l.user_id
            and (v.rd > l.read_seq or greatest(v.dl, v.rd, l.read_seq) > l.delivered_seq)
          returning m.conv_id, m.user_id, l.delivered_seq as before, m.delivered_seq`;
  }

  protected override batchStatements(): HotStatement[] {
    return [
      ...super.batchStatements(),
      {
        name: 'reserveSeqsMany (2 conversations)',
        compile: () => this.reserveStatement(SAMPLE_SEQS, 0).compile(this.db),
      },
      {
        name: 'advance cursors (2 members)',
        compile: () => this.advanceStatement(SAMPLE_MOVES, [...SAMPLE_MOVES.keys()]).compile(this.db),
      },
    ];
  }
}
