import { setImmediate } from 'node:timers/promises';
import { type ExpressionBuilder, type Kysely, type Transaction } from 'kysely';
import { preparedRows } from '../../adapters/sql/prepared.js';
import { asId, asNum, type QueryRunner, type SqlDatabase, type SqlEngine } from '../../adapters/sql/sql.js';
import { IndexQueries } from './search.index-query.js';
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

/**
 * Most rows per multi-row INSERT of documents and postings (9 and 3 parameters each: far
 * below every engine's limit). A power of two: a batch goes in as full statements of this
 * many rows, then one statement per set bit of the rest, so each table has at most eight
 * statement shapes, each compiled once (see `insertRows`).
 */
const ROWS_PER_INSERT = 128;
/** Keys per lookup. */
const KEYS_PER_QUERY = 200;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Db = Kysely<any> | Transaction<any>;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Eb = ExpressionBuilder<any, any>;

/**
 * The index on SQL, one portable schema for SQLite, PostgreSQL and MariaDB/MySQL (see
 * search.migrations.ts): a postings table of (token, conversation, seq) and the documents.
 */
export class SqlSearchIndex implements SearchIndex {
  private readonly db: Kysely<any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  private readonly engine: SqlEngine;
  private readonly queries: IndexQueries;

  /**
   * The indexer's inserts, compiled once per statement shape: built with the query builder
   * per batch they cost more than SQLite spent storing the rows (a tenth of the server's
   * profile at 2 000 messages/s, docs/performance.md).
   */
  private readonly insertDocs = this.insertRows<IndexDoc>('search_docs', {
    conv_id: (d) => d.convId,
    seq: (d) => d.seq,
    msg_id: (d) => d.msgId,
    sender_id: (d) => d.senderId,
    type: (d) => d.type,
    created_at: (d) => d.createdAt,
    body: (d) => d.text,
    folded: (d) => fold(d.text),
    content: (d) => d.content ?? '',
  });

  private readonly insertPostings = this.insertRows<Posting>('search_postings', {
    token: (p) => p.token,
    conv_id: (p) => p.doc.convId,
    seq: (p) => p.doc.seq,
  });

  constructor(database: SqlDatabase) {
    this.db = database.db;
    this.engine = database.engine;
    this.queries = new IndexQueries(database.db, database.engine);
  }

  async write(
    batch: { add: readonly IndexDoc[]; remove: readonly DocKey[] },
    cursor?: { name: string; expect: string; next: string },
  ): Promise<boolean> {
    return this.db.transaction().execute(async (tx) => {
      // The state first: on PostgreSQL and MariaDB its row lock orders two indexers.
      if (cursor && !(await this.swap(tx, cursor.name, cursor.expect, cursor.next))) return false;
      await this.removeDocs(tx, batch.remove);
      const have = await this.existingIn(tx, batch.add);
      const fresh = dedupe(batch.add).filter((d) => !have.has(docKey(d)));
      await this.insertDocs(tx, fresh);
      // In key order: each B-tree page of the postings is visited once per batch, not once per row.
      const postings = fresh.flatMap((d) => docTokens(d).map((token): Posting => ({ token, doc: d })));
      postings.sort((a, b) => (a.token < b.token ? -1 : a.token > b.token ? 1 : 0));
      await this.insertPostings(tx, postings);
      return true;
    });
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
      for (const t of ['search_postings', 'search_docs', 'search_state']) await tx.deleteFrom(t).execute();
    });
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
    return { docs: await n('search_docs'), postings: await n('search_postings') };
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
      await this.insertIgnore(tx, 'search_state', { name, value: next });
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
    for (let i = 0; i < keys.length; i += KEYS_PER_QUERY) {
      const part = keys.slice(i, i + KEYS_PER_QUERY);
      const rows = await db
        .selectFrom('search_docs')
        .select(['conv_id', 'seq'])
        .where((eb) =>
          eb.or(part.map((k) => eb.and([eb('conv_id', '=', this.int(k.convId)), eb('seq', '=', k.seq)]))),
        )
        .execute();
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
        for (let j = 0; j < tokens.length; j += KEYS_PER_QUERY)
          await tx
            .deleteFrom('search_postings')
            .where('token', 'in', tokens.slice(j, j + KEYS_PER_QUERY))
            .where('conv_id', '=', this.int(asId(d.conv_id)))
            .where('seq', '=', asNum(d.seq))
            .execute();
      }
      if (docs.length) await tx.deleteFrom('search_docs').where(inPart).execute();
    }
  }

  /** An INSERT that skips rows already there, of any number of rows (see ROWS_PER_INSERT). */
  private insertRows<R>(
    table: string,
    columns: Readonly<Record<string, (row: R) => unknown>>,
  ): (db: QueryRunner, rows: readonly R[]) => Promise<void> {
    // Built on first use, when the database is set.
    const run = preparedRows<R>(columns, (values) => {
      const q = this.db.insertInto(table).values(values);
      return this.engine === 'mysql' ? q.ignore() : q.onConflict((oc) => oc.doNothing());
    });
    return async (db, rows) => {
      for (let i = 0; i < rows.length;) {
        // Each statement in a turn of its own: a batch's inserts took 20-40 ms of the event
        // loop in one piece, a stall for every send waiting meanwhile (the index is its own
        // database on SQLite, so its open transaction holds up no send).
        await setImmediate();
        const left = rows.length - i;
        const n = left >= ROWS_PER_INSERT ? ROWS_PER_INSERT : 2 ** Math.floor(Math.log2(left));
        await run(db, rows.slice(i, i + n));
        i += n;
      }
    };
  }

  private async insertIgnore(db: Db, table: string, row: Record<string, unknown>): Promise<void> {
    const q = db.insertInto(table).values(row);
    await (this.engine === 'mysql' ? q.ignore() : q.onConflict((oc) => oc.doNothing())).execute();
  }
}

/** One token of a document, a row of `search_postings`. */
interface Posting {
  token: string;
  doc: IndexDoc;
}

/** The last of each key (a batch may carry one message twice). */
function dedupe(docs: readonly IndexDoc[]): IndexDoc[] {
  return [...new Map(docs.map((d) => [docKey(d), d])).values()];
}
