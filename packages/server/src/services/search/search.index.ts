import {
  sql,
  type ExpressionBuilder,
  type Expression,
  type Kysely,
  type SqlBool,
  type Transaction,
} from 'kysely';
import { asId, asNum, type SqlDatabase, type SqlEngine } from '../../adapters/sql/sql.js';
import { fold, type ParsedQuery } from './search.text.js';
import {
  docKey,
  docTokens,
  type ConversationCount,
  type DocKey,
  type HitCursor,
  type IndexDoc,
  type ReadWindow,
  type SearchIndex,
  type SearchScope,
} from './search.port.js';

/** Rows per multi-row INSERT (3 parameters each: far below every engine's limit). */
const ROWS_PER_INSERT = 500;
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

  constructor(database: SqlDatabase) {
    this.db = database.db;
    this.engine = database.engine;
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
      await this.insertIgnore(
        tx,
        'search_docs',
        fresh.map((d) => ({
          conv_id: d.convId,
          seq: d.seq,
          msg_id: d.msgId,
          sender_id: d.senderId,
          type: d.type,
          created_at: d.createdAt,
          body: d.text,
          folded: fold(d.text),
          content: d.content ?? '',
        })),
      );
      await this.insertIgnore(
        tx,
        'search_postings',
        fresh.flatMap((d) => docTokens(d).map((token) => ({ token, conv_id: d.convId, seq: d.seq }))),
      );
      return true;
    });
  }

  existing(keys: readonly DocKey[]): Promise<Set<string>> {
    return this.existingIn(this.db, keys);
  }

  async find(
    q: ParsedQuery,
    scope: SearchScope,
    page: { order: 'time' | 'seq'; after?: HitCursor; limit: number },
  ): Promise<IndexDoc[]> {
    const base = this.matching(q, scope);
    if (!base) return [];
    let query = base.selectAll('d');
    const a = page.after;
    if (a && page.order === 'seq') query = query.where('d.seq', '<', a.seq);
    else if (a)
      query = query.where((eb) =>
        eb.or([
          eb('d.created_at', '<', a.createdAt),
          eb.and([
            eb('d.created_at', '=', a.createdAt),
            eb.or([
              eb('d.conv_id', '<', this.int(a.convId)),
              eb.and([eb('d.conv_id', '=', this.int(a.convId)), eb('d.seq', '<', a.seq)]),
            ]),
          ]),
        ]),
      );
    query =
      page.order === 'seq'
        ? query.orderBy('d.seq', 'desc')
        : query.orderBy('d.created_at', 'desc').orderBy('d.conv_id', 'desc').orderBy('d.seq', 'desc');
    const rows = await query.limit(page.limit).execute();
    return rows.map((r) => ({
      convId: asId(r.conv_id),
      seq: asNum(r.seq),
      msgId: asId(r.msg_id),
      senderId: asId(r.sender_id),
      type: asNum(r.type),
      createdAt: asNum(r.created_at),
      text: String(r.body),
      content: String(r.content),
    }));
  }

  async count(q: ParsedQuery, scope: SearchScope): Promise<ConversationCount[]> {
    const base = this.matching(q, scope);
    if (!base) return [];
    const rows = await base
      .select((eb) => [
        'd.conv_id',
        eb.fn.countAll().as('n'),
        eb.fn.max('d.seq').as('last_seq'),
        eb.fn.max('d.created_at').as('last_at'),
      ])
      .groupBy('d.conv_id')
      .execute();
    return rows
      .map((r) => ({
        convId: asId(r.conv_id),
        count: asNum(r.n),
        lastSeq: asNum(r.last_seq),
        lastAt: asNum(r.last_at),
      }))
      .sort((x, y) => y.lastAt - x.lastAt || (x.convId < y.convId ? 1 : -1));
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

  /**
   * Documents (`d`) in scope that hold every run of `q`: candidates from the most selective
   * token's postings (a 2-character pair over a single character, the longest word prefix),
   * every other token as EXISTS, long CJK runs as a substring of the folded text.
   */
  private matching(q: ParsedQuery, scope: SearchScope) {
    if (!q.lookups.length || !scope.windows.length) return undefined;
    const exact = [...new Set(q.lookups.flatMap((l) => l.exact ?? []))];
    const prefixes = [...new Set(q.lookups.flatMap((l) => (l.prefix ? [l.prefix] : [])))];
    const likes = q.lookups.flatMap((l) => (l.like ? [l.like] : []));
    const byLength = (a: string, b: string) => [...b].length - [...a].length;
    exact.sort(byLength);
    prefixes.sort(byLength);
    const driver: { exact?: string; prefix?: string } = exact.length
      ? { exact: exact[0] }
      : { prefix: prefixes[0] };
    const otherExact = driver.exact ? exact.slice(1) : exact;
    const otherPrefixes = driver.prefix ? prefixes.slice(1) : prefixes;

    let candidates = this.db
      .selectFrom('search_postings as p')
      .select(['p.conv_id', 'p.seq'])
      .where((eb) =>
        driver.exact ? eb('p.token', '=', driver.exact) : this.prefixOf(eb, 'p.token', driver.prefix!),
      )
      .where((eb) => this.inWindows(eb, scope.windows));
    // One document may hold several words with the prefix.
    if (driver.prefix) candidates = candidates.distinct();

    return this.db
      .selectFrom(candidates.as('c'))
      .innerJoin('search_docs as d', (j) =>
        j.onRef('d.conv_id', '=', 'c.conv_id').onRef('d.seq', '=', 'c.seq'),
      )
      .where((eb) => {
        const all: Expression<SqlBool>[] = [];
        const has = (cond: (e: Eb) => Expression<SqlBool>) =>
          eb.exists(
            eb
              .selectFrom('search_postings as o')
              .select(sql.lit(1).as('one'))
              .whereRef('o.conv_id', '=', 'd.conv_id')
              .whereRef('o.seq', '=', 'd.seq')
              .where(cond),
          );
        for (const t of otherExact) all.push(has((e) => e('o.token', '=', t)));
        for (const p of otherPrefixes) all.push(has((e) => this.prefixOf(e, 'o.token', p)));
        for (const l of likes) all.push(eb('d.folded', 'like', `%${l}%`));
        if (scope.senderId) all.push(eb('d.sender_id', '=', this.int(scope.senderId)));
        if (scope.types?.length) all.push(eb('d.type', 'in', [...scope.types]));
        if (scope.fromMs !== undefined) all.push(eb('d.created_at', '>=', scope.fromMs));
        if (scope.toMs !== undefined) all.push(eb('d.created_at', '<', scope.toMs));
        return eb.and(all);
      });
  }

  /** Tokens that start with `prefix`: a range, exact under the byte order of the token column. */
  private prefixOf(eb: Eb, column: string, prefix: string): Expression<SqlBool> {
    const chars = [...prefix];
    const last = chars.pop()!;
    const upper = chars.join('') + String.fromCodePoint(last.codePointAt(0)! + 1);
    return eb.and([eb(column, '>=', prefix), eb(column, '<', upper)]);
  }

  private inWindows(eb: Eb, windows: readonly ReadWindow[]): Expression<SqlBool> {
    const whole = windows.filter((w) => w.firstSeq <= 1 && w.lastSeq === undefined).map((w) => w.convId);
    const parts: Expression<SqlBool>[] = [];
    if (whole.length)
      parts.push(
        eb(
          'p.conv_id',
          'in',
          whole.map((id) => this.int(id)),
        ),
      );
    for (const w of windows) {
      if (w.firstSeq <= 1 && w.lastSeq === undefined) continue;
      const conds = [eb('p.conv_id', '=', this.int(w.convId)), eb('p.seq', '>=', w.firstSeq)];
      if (w.lastSeq !== undefined) conds.push(eb('p.seq', '<=', w.lastSeq));
      parts.push(eb.and(conds));
    }
    return eb.or(parts);
  }

  /** An id as a typed integer: never compared as text or floating point on any engine. */
  private int(v: string) {
    return this.engine === 'mysql' ? sql<string>`cast(${v} as signed)` : sql<string>`cast(${v} as bigint)`;
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

  private async insertIgnore(db: Db, table: string, rows: readonly Record<string, unknown>[]): Promise<void> {
    for (let i = 0; i < rows.length; i += ROWS_PER_INSERT) {
      const values = rows.slice(i, i + ROWS_PER_INSERT);
      const q = db.insertInto(table).values(values);
      await (this.engine === 'mysql' ? q.ignore() : q.onConflict((oc) => oc.doNothing())).execute();
    }
  }
}

/** The last of each key (a batch may carry one message twice). */
function dedupe(docs: readonly IndexDoc[]): IndexDoc[] {
  return [...new Map(docs.map((d) => [docKey(d), d])).values()];
}
