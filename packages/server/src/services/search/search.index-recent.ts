import { setImmediate } from 'node:timers/promises';
import { sql, type Kysely } from 'kysely';

/**
 * Moves postings from the table of recent postings (`from`) into the main one (`into`), SQLite
 * (see search.index.ts): in key order, `chunk` postings per transaction, the smallest keys left
 * each time (so postings a batch adds meanwhile are moved too), until at least `atLeast` moved
 * or none is left. Within a transaction a posting leaves one table as it enters the other, so
 * a read sees each in exactly one. True when the recent postings were emptied.
 */
export async function moveRecent(
  db: Kysely<any>, // eslint-disable-line @typescript-eslint/no-explicit-any
  o: { atLeast: number; chunk: number; from: string; into: string },
): Promise<boolean> {
  let moved = 0;
  while (moved < Math.max(o.atLeast, 1)) {
    const n = await db.transaction().execute(async (tx) => {
      const { rows } = await sql<{ token: string; conv_id: unknown; seq: unknown }>`
        select token, conv_id, seq from ${sql.table(o.from)}
        order by token, conv_id, seq limit 1 offset ${o.chunk - 1}`.execute(tx);
      const last = rows[0];
      // Up to and including the chunk's last key (all that is left when fewer remain).
      const upTo = last
        ? sql`(token, conv_id, seq) <= (${last.token}, ${last.conv_id}, ${last.seq})`
        : sql`1 = 1`;
      await sql`insert into ${sql.table(o.into)} (token, conv_id, seq)
        select token, conv_id, seq from ${sql.table(o.from)} where ${upTo}
        order by token, conv_id, seq on conflict do nothing`.execute(tx);
      const r = await sql`delete from ${sql.table(o.from)} where ${upTo}`.execute(tx);
      return { count: Number(r.numAffectedRows ?? 0), rest: !!last };
    });
    moved += n.count;
    if (!n.rest) return true;
    // Between two chunks, others' statements (a search's reads, the next batch) get their turn.
    await setImmediate();
  }
  return false;
}
