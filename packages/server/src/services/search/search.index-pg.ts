import { setImmediate } from 'node:timers/promises';
import { CompiledQuery, type QueryResult } from 'kysely';
import type { QueryRunner } from '../../adapters/sql/sql.js';
import {
  DOC_COLUMNS,
  POSTING_COLUMNS,
  type Columns,
  type FoldedDoc,
  type Posting,
} from './search.index-columns.js';
import type { DocKey } from './search.port.js';

type Insert<R> = (db: QueryRunner, rows: readonly R[]) => Promise<void>;

/**
 * The index's writes on PostgreSQL as statements of a few array parameters unnested into rows
 * (up to 1 024 documents or 8 192 postings each): multi-row VALUES (512 rows of up to 9
 * parameters) and an OR of 256 key pairs were parsed and planned by the server per call and every
 * value sent and bound on its own; at 1 350 msg/s of chat the indexer fell further behind each
 * second (docs/performance.md, "PostgreSQL's own saturation, and its indexer writing arrays").
 */
export function postgresIndexWrites(): {
  insertDocs: Insert<FoldedDoc>;
  insertPostings: Insert<Posting>;
  keysThere: (db: QueryRunner, keys: readonly DocKey[]) => Promise<QueryResult<Record<string, unknown>>>;
} {
  return {
    insertDocs: unnestInsert('search_docs', DOC_COLUMNS, 1024),
    // The rows arrive in key order and keep it.
    insertPostings: unnestInsert('search_postings', POSTING_COLUMNS, 8192),
    keysThere: (db, keys) =>
      db.executeQuery(
        CompiledQuery.raw(
          `select d.conv_id, d.seq from search_docs d
            join unnest($1::bigint[], $2::integer[]) as k (conv_id, seq)
            on d.conv_id = k.conv_id and d.seq = k.seq`,
          [keys.map((k) => k.convId), keys.map((k) => k.seq)],
        ),
      ),
  };
}

function unnestInsert<R>(table: string, columns: Columns<R>, perStatement: number): Insert<R> {
  const names = Object.keys(columns);
  const statement = `insert into ${table} (${names.join(', ')})
    select * from unnest(${names.map((n, i) => `$${i + 1}::${columns[n]![0]}[]`).join(', ')})
    on conflict do nothing`;
  return async (db, rows) => {
    for (let i = 0; i < rows.length; i += perStatement) {
      const part = rows.slice(i, i + perStatement);
      // A turn of its own, as the other engines' statements (search.index.ts).
      await setImmediate();
      await db.executeQuery(
        CompiledQuery.raw(
          statement,
          names.map((n) => part.map(columns[n]![1])),
        ),
      );
    }
  };
}
