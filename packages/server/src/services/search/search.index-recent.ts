import { setImmediate } from 'node:timers/promises';
import { sql, type Kysely, type Transaction } from 'kysely';

/**
 * PostgreSQL: the transaction-scoped advisory lock a merge chunk and an index write that removes
 * documents take, one at a time across every process sharing the index. Without it a removal
 * could delete a posting from the main table before a concurrent merge put it there (each
 * statement's snapshot misses the other's uncommitted rows) and leave it behind.
 */
const MERGE_LOCK = 0x6d79_6368_6174n; // "mychat"

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function lockRecent(tx: Transaction<any>): Promise<void> {
  await sql`select pg_advisory_xact_lock(${MERGE_LOCK})`.execute(tx);
}

/**
 * Moves postings from the table of recent postings (`from`) into the main one (`into`), SQLite
 * and PostgreSQL (see search.index.ts): in key order, `chunk` postings per transaction, the
 * smallest keys left each time (so postings a batch adds meanwhile are moved too), until at least
 * `atLeast` moved or none is left. Within a transaction a posting leaves one table as it enters
 * the other, so a read sees each in exactly one. True when the recent postings were emptied.
 *
 * On SQLite the one connection runs one transaction at a time. On PostgreSQL batches commit
 * beside a merge, so the rows moved are exactly the rows deleted (one statement: the delete's
 * RETURNING feeds the insert), never a row committed between a copy and a delete.
 */
export async function moveRecent(
  db: Kysely<any>, // eslint-disable-line @typescript-eslint/no-explicit-any
  o: { atLeast: number; chunk: number; from: string; into: string; engine: 'sqlite' | 'postgres' },
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
      if (o.engine === 'postgres') {
        await lockRecent(tx);
        const r = await sql<{ n: string }>`
          with moved as (delete from ${sql.table(o.from)} where ${upTo} returning token, conv_id, seq),
          kept as (insert into ${sql.table(o.into)} (token, conv_id, seq)
            select token, conv_id, seq from moved order by token, conv_id, seq on conflict do nothing)
          select count(*) as n from moved`.execute(tx);
        return { count: Number(r.rows[0]?.n ?? 0), rest: !!last };
      }
      await sql`insert into ${sql.table(o.into)} (token, conv_id, seq)
        select token, conv_id, seq from ${sql.table(o.from)} where ${upTo}
        order by token, conv_id, seq on conflict do nothing`.execute(tx);
      const r = await sql`delete from ${sql.table(o.from)} where ${upTo}`.execute(tx);
      return { count: Number(r.numAffectedRows ?? 0), rest: !!last };
    });
    moved += n.count;
    if (!n.rest) {
      // The table is emptied and refilled all day: its dead rows go now, or it grows by a merge's
      // worth each time until autovacuum comes (off: without end, and every read of it slower).
      if (o.engine === 'postgres') await sql`vacuum ${sql.table(o.from)}`.execute(db);
      return true;
    }
    // Between two chunks, others' statements (a search's reads, the next batch) get their turn.
    await setImmediate();
  }
  return false;
}
