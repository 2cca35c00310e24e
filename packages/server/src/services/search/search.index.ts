import { setImmediate } from 'node:timers/promises';
import { type ExpressionBuilder, type Kysely, type QueryResult, type Transaction } from 'kysely';
import { preparedRows } from '../../adapters/sql/prepared.js';
import { asId, asNum, type QueryRunner, type SqlDatabase, type SqlEngine } from '../../adapters/sql/sql.js';
import type { Logger } from '../../kernel/logger.js';
import { IndexQueries } from './search.index-query.js';
import {
  DOC_COLUMNS,
  getters,
  POSTING_COLUMNS,
  type FoldedDoc,
  type Posting,
} from './search.index-columns.js';
import { postgresIndexWrites } from './search.index-pg.js';
import { moveRecent } from './search.index-recent.js';
import { fold, type ParsedQuery } from './search.text.js';
import {
  docKey,
  docTokens,
  type ConversationCount,
  type DocKey,
  type HitCursor,
  type IndexDoc,
  type SearchIndex,
  type SearchScope,
} from './search.port.js';

/** Rows per multi-row INSERT (9 parameters each at most: far below every engine's limit). */
const ROWS_PER_INSERT = 512;
/** Keys per lookup. */
const KEYS_PER_QUERY = 200;
/** Keys per lookup of the documents a batch already has (powers of two below it: see `parts`). */
const KEYS_PER_CHECK = 256;
/** Postings moved from the recent postings into the main table per transaction. */
const MERGE_CHUNK = 50_000;
/** The postings table and, on SQLite, the recent postings not yet merged into it. */
const POSTINGS = 'search_postings';
const RECENT = 'search_postings_new';

/** How the index writes (the writing side only: any instance reads every postings table). */
export interface SqlIndexOptions {
  /**
   * SQLite: a batch's postings go to a small table of recent postings, moved into the main one
   * in key order once it holds this many documents (`search.mergeEveryDocs`); 0: straight into
   * the main table. Ignored on the other engines.
   */
  mergeEveryDocs?: number;
  /** Postings moved per merge transaction (tests: small). */
  mergeChunk?: number;
  /** Told of a merge that failed after its batch committed (the batch stands; the next write merges). */
  logger?: Pick<Logger, 'warn'>;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Db = Kysely<any> | Transaction<any>;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Eb = ExpressionBuilder<any, any>;

/**
 * The index on SQL, one portable schema for SQLite, PostgreSQL and MariaDB/MySQL (see
 * search.migrations.ts): a postings table of (token, conversation, seq) and the documents.
 *
 * On SQLite, as a log-structured index: a batch's postings go to `search_postings_new` (a small
 * tree, few pages rewritten a batch), moved into `search_postings` in key order every
 * `mergeEveryDocs` documents (search.index-recent.ts). Straight into the large tree each posting
 * took a 4 KiB page of its own, WAL and file: ~36 a Chinese message at 100 000 messages
 * (docs/performance.md). Reads walk both tables; a posting is in exactly one at any time.
 */
export class SqlSearchIndex implements SearchIndex {
  private readonly db: Kysely<any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  private readonly engine: SqlEngine;
  private readonly queries: IndexQueries;
  private readonly insertDocs: BulkInsert<FoldedDoc>;
  private readonly insertPostings: BulkInsert<Posting>;
  private readonly keysThere: (db: QueryRunner, keys: readonly DocKey[]) => Promise<QueryResult<Row>>;
  /** Every postings table, the main one first. */
  private readonly postings: readonly string[];
  private readonly mergeEveryDocs: number;
  private readonly mergeChunk: number;
  private readonly logger: Pick<Logger, 'warn'> | undefined;
  /** Documents written to the recent postings since they were last emptied (undefined: not read yet). */
  private recentDocs: number | undefined;

  constructor(database: SqlDatabase, options: SqlIndexOptions = {}) {
    this.db = database.db;
    this.engine = database.engine;
    const sqlite = database.engine === 'sqlite';
    this.postings = sqlite ? [POSTINGS, RECENT] : [POSTINGS];
    this.mergeEveryDocs = sqlite ? (options.mergeEveryDocs ?? 0) : 0;
    this.mergeChunk = options.mergeChunk ?? MERGE_CHUNK;
    this.logger = options.logger;
    this.queries = new IndexQueries(database.db, database.engine, this.postings);
    const pg = this.engine === 'postgres' ? postgresIndexWrites() : undefined;
    this.insertDocs = pg?.insertDocs ?? this.bulkInsert('search_docs', getters(DOC_COLUMNS));
    this.insertPostings =
      pg?.insertPostings ??
      this.bulkInsert(this.mergeEveryDocs > 0 ? RECENT : POSTINGS, getters(POSTING_COLUMNS));
    // Compiled once per key count: built per batch, it was a fifth of the index thread's work.
    this.keysThere =
      pg?.keysThere ??
      preparedRows<DocKey>({ conv_id: (k) => k.convId, seq: (k) => k.seq }, (values) =>
        this.db
          .selectFrom('search_docs')
          .select(['conv_id', 'seq'])
          .where((eb) =>
            eb.or(
              values.map((v) =>
                eb.and([eb('conv_id', '=', this.int(v.conv_id as string)), eb('seq', '=', v.seq as number)]),
              ),
            ),
          ),
      );
  }

  async write(
    batch: { add: readonly IndexDoc[]; remove: readonly DocKey[] },
    cursor?: { name: string; expect: string; next: string },
  ): Promise<boolean> {
    let added = 0;
    const ok = await this.db.transaction().execute(async (tx) => {
      // The state first: on PostgreSQL and MariaDB its row lock orders two indexers.
      if (cursor && !(await this.swap(tx, cursor.name, cursor.expect, cursor.next))) return false;
      if (this.mergeEveryDocs > 0) this.recentDocs ??= await this.leftRecent(tx);
      await this.removeDocs(tx, batch.remove);
      const have = await this.existingIn(tx, batch.add);
      // Each text folded once, for its stored form and its postings.
      const fresh = dedupe(batch.add)
        .filter((d) => !have.has(docKey(d)))
        .map((d) => ({ ...d, folded: fold(d.text) }));
      await this.insertDocs(tx, fresh);
      // In key order: each B-tree page of the postings is visited once per batch, not once per row.
      const postings = postingsInKeyOrder(fresh);
      await this.insertPostings(tx, postings);
      added = postings.length;
      if (this.mergeEveryDocs > 0) this.recentDocs! += fresh.length;
      return true;
    });
    if (ok && this.mergeEveryDocs > 0 && this.recentDocs! >= this.mergeEveryDocs)
      await this.merge(2 * added).catch((err: unknown) =>
        this.logger?.warn({ err }, 'search index merge of recent postings failed; tried at the next batch'),
      );
    return ok;
  }

  /** At start: recent postings left from before count as a full table (merged at the first write). */
  private async leftRecent(tx: Db): Promise<number> {
    const row = await tx.selectFrom(RECENT).select('token').limit(1).executeTakeFirst();
    return row ? this.mergeEveryDocs : 0;
  }

  /** Moves recent postings into the main table (moveRecent): at least `atLeast` (twice the last write's) or all. */
  async merge(atLeast = Infinity): Promise<void> {
    // Only SQLite has recent postings.
    if (this.postings.length < 2) return;
    if (await moveRecent(this.db, { atLeast, chunk: this.mergeChunk, from: RECENT, into: POSTINGS }))
      this.recentDocs = 0;
  }

  existing(keys: readonly DocKey[]): Promise<Set<string>> {
    return this.existingIn(this.db, keys);
  }

  find(
    q: ParsedQuery,
    scope: SearchScope,
    page: { order: 'time' | 'seq'; after?: HitCursor; limit: number },
  ): Promise<IndexDoc[]> {
    return this.queries.find(q, scope, page);
  }

  count(q: ParsedQuery, scope: SearchScope): Promise<ConversationCount[]> {
    return this.queries.count(q, scope);
  }

  async keysOfIds(type: number, ids: readonly string[]): Promise<Map<string, DocKey>> {
    const out = new Map<string, DocKey>();
    for (let i = 0; i < ids.length; i += KEYS_PER_QUERY) {
      const rows = await this.db
        .selectFrom('search_docs')
        .select(['msg_id', 'conv_id', 'seq'])
        .where(
          'msg_id',
          'in',
          ids.slice(i, i + KEYS_PER_QUERY).map((id) => this.int(id)),
        )
        .where('type', '=', type)
        .execute();
      for (const r of rows) out.set(asId(r.msg_id), { convId: asId(r.conv_id), seq: asNum(r.seq) });
    }
    return out;
  }

  async lastSeqs(convIds: readonly string[]): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    for (let i = 0; i < convIds.length; i += KEYS_PER_QUERY) {
      const rows = await this.db
        .selectFrom('search_docs')
        .select((eb) => ['conv_id', eb.fn.max('seq').as('last')])
        .where(
          'conv_id',
          'in',
          convIds.slice(i, i + KEYS_PER_QUERY).map((id) => this.int(id)),
        )
        .groupBy('conv_id')
        .execute();
      for (const r of rows) out.set(asId(r.conv_id), asNum(r.last));
    }
    return out;
  }

  async state(name: string): Promise<string | undefined> {
    const row = await this.db
      .selectFrom('search_state')
      .select('value')
      .where('name', '=', name)
      .executeTakeFirst();
    return row ? String(row.value) : undefined;
  }

  swapState(name: string, expect: string, next: string): Promise<boolean> {
    return this.db.transaction().execute((tx) => this.swap(tx, name, expect, next));
  }

  async clear(): Promise<void> {
    await this.db.transaction().execute(async (tx) => {
      for (const t of [...this.postings, 'search_docs', 'search_state']) await tx.deleteFrom(t).execute();
    });
    if (this.mergeEveryDocs > 0) this.recentDocs = 0;
  }

  async size(): Promise<{ docs: number; postings: number }> {
    const n = async (t: string) =>
      asNum(
        (
          await this.db
            .selectFrom(t)
            .select((eb) => eb.fn.countAll().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      );
    let postings = 0;
    for (const t of this.postings) postings += await n(t);
    return { docs: await n('search_docs'), postings };
  }

  /** An id as a typed integer (see IndexQueries). */
  private int(v: string) {
    return this.queries.int(v);
  }

  private async swap(tx: Db, name: string, expect: string, next: string): Promise<boolean> {
    if (expect === '') {
      const row = await tx
        .selectFrom('search_state')
        .select('value')
        .where('name', '=', name)
        .executeTakeFirst();
      if (row) return false;
      await this.insertIgnore(tx, 'search_state', [{ name, value: next }]);
      const now = await tx
        .selectFrom('search_state')
        .select('value')
        .where('name', '=', name)
        .executeTakeFirst();
      return now?.value === next;
    }
    const r = await tx
      .updateTable('search_state')
      .set({ value: next })
      .where('name', '=', name)
      .where('value', '=', expect)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  private async existingIn(db: Db, keys: readonly DocKey[]): Promise<Set<string>> {
    const out = new Set<string>();
    for (const part of parts(keys, KEYS_PER_CHECK)) {
      const { rows } = await this.keysThere(db, part);
      for (const r of rows) out.add(`${asId(r.conv_id)}:${asNum(r.seq)}`);
    }
    return out;
  }

  private async removeDocs(tx: Db, keys: readonly DocKey[]): Promise<void> {
    for (let i = 0; i < keys.length; i += KEYS_PER_QUERY) {
      const part = keys.slice(i, i + KEYS_PER_QUERY);
      const inPart = (eb: Eb) =>
        eb.or(part.map((k) => eb.and([eb('conv_id', '=', this.int(k.convId)), eb('seq', '=', k.seq)])));
      const docs = await tx
        .selectFrom('search_docs')
        .select(['conv_id', 'seq', 'type', 'body'])
        .where(inPart)
        .execute();
      // Postings are keyed by token first: the document's own tokens find them.
      for (const d of docs) {
        const tokens = docTokens({ type: asNum(d.type), text: String(d.body) });
        for (const table of this.postings)
          for (let j = 0; j < tokens.length; j += KEYS_PER_QUERY)
            await tx
              .deleteFrom(table)
              .where('token', 'in', tokens.slice(j, j + KEYS_PER_QUERY))
              .where('conv_id', '=', this.int(asId(d.conv_id)))
              .where('seq', '=', asNum(d.seq))
              .execute();
      }
      if (docs.length) await tx.deleteFrom('search_docs').where(inPart).execute();
    }
  }

  private async insertIgnore(db: Db, table: string, rows: readonly Record<string, unknown>[]): Promise<void> {
    for (let i = 0; i < rows.length; i += ROWS_PER_INSERT) {
      const values = rows.slice(i, i + ROWS_PER_INSERT);
      const q = db.insertInto(table).values(values);
      await (this.engine === 'mysql' ? q.ignore() : q.onConflict((oc) => oc.doNothing())).execute();
    }
  }

  /**
   * Multi-row INSERTs that skip rows already there, each compiled once per row count (see
   * preparedRows): statements of ROWS_PER_INSERT rows, the rest in powers of two, so a
   * handful of statements serve every batch and no batch pays for building its SQL.
   */
  private bulkInsert<R>(
    table: string,
    columns: Readonly<Record<string, (row: R) => unknown>>,
  ): BulkInsert<R> {
    const run = preparedRows<R>(columns, (values) => {
      const q = this.db.insertInto(table).values(values);
      return this.engine === 'mysql' ? q.ignore() : q.onConflict((oc) => oc.doNothing());
    });
    return async (db, rows) => {
      for (const part of parts(rows, ROWS_PER_INSERT)) {
        // Each statement in a turn of its own: a batch's inserts in one piece held the event
        // loop for tens of ms, a stall for every send meanwhile.
        await setImmediate();
        await run(db, part);
      }
    };
  }
}

/**
 * `items` in slices of `max`, the rest in powers of two below it: a statement compiled once
 * per slice length serves every batch with a handful of shapes.
 */
function* parts<T>(items: readonly T[], max: number): Generator<readonly T[]> {
  let i = 0;
  for (let n = max; n >= 1; n >>= 1) for (; items.length - i >= n; i += n) yield items.slice(i, i + n);
}

type BulkInsert<R> = (db: QueryRunner, rows: readonly R[]) => Promise<void>;
type Row = Record<string, unknown>;

/**
 * The documents' postings in the order of their key (token, conversation, seq), so that the
 * INSERTs walk the postings' B-tree from left to right: grouped by token (a batch has far
 * fewer distinct tokens than postings), tokens sorted, each token's documents by conversation
 * and seq. Only the speed depends on the order (UTF-16 order and the engines' byte order
 * differ for characters beyond the BMP).
 */
export function postingsInKeyOrder(docs: readonly (IndexDoc & { folded?: string })[]): Posting[] {
  const byToken = new Map<string, IndexDoc[]>();
  for (const d of docs)
    for (const token of docTokens(d)) {
      const list = byToken.get(token);
      if (list) list.push(d);
      else byToken.set(token, [d]);
    }
  const out: Posting[] = [];
  for (const token of [...byToken.keys()].sort()) {
    const list = byToken.get(token)!;
    if (list.length > 1) list.sort(byConvSeq);
    for (const d of list) out.push({ token, convId: d.convId, seq: d.seq });
  }
  return out;
}

/** Ids are canonical decimals: the shorter is the smaller. */
const byConvSeq = (a: DocKey, b: DocKey) =>
  a.convId === b.convId ? a.seq - b.seq : a.convId.length - b.convId.length || (a.convId < b.convId ? -1 : 1);

/** The last of each key (a batch may carry one message twice). */
function dedupe(docs: readonly IndexDoc[]): IndexDoc[] {
  return [...new Map(docs.map((d) => [docKey(d), d])).values()];
}
