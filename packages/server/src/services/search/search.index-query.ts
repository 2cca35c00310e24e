import { sql, type Expression, type ExpressionBuilder, type Kysely, type SqlBool } from 'kysely';
import { asId, asNum, type SqlEngine } from '../../adapters/sql/sql.js';
import type {
  ConversationCount,
  DocKey,
  HitCursor,
  IndexDoc,
  ReadWindow,
  SearchScope,
} from './search.port.js';
import type { ParsedQuery } from './search.text.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Eb = ExpressionBuilder<any, any>;

/** Keys per lookup of whole documents. */
const KEYS_PER_QUERY = 200;

/**
 * The reads of the SQL search index. A query's candidates come from the postings alone: the
 * most selective token's postings in the read windows (a 2-character pair over a single
 * character, the longest word prefix), every other token as EXISTS. Documents are read only
 * for what needs them (a filter, the folded-text check of long CJK runs, the time order) and,
 * whole, only for the page answered.
 */
export class IndexQueries {
  constructor(
    private readonly db: Kysely<any>, // eslint-disable-line @typescript-eslint/no-explicit-any
    private readonly engine: SqlEngine,
  ) {}

  async find(
    q: ParsedQuery,
    scope: SearchScope,
    page: { order: 'time' | 'seq'; after?: HitCursor; limit: number },
  ): Promise<IndexDoc[]> {
    const plan = this.plan(q, scope);
    if (!plan) return [];
    const a = page.after;
    let keys: { conv_id: unknown; seq: unknown }[];
    if (page.order === 'seq' && !plan.docFilters) {
      // One conversation by seq: the postings' own order, no document touched.
      let c = plan.candidates;
      if (a) c = c.where('p.seq', '<', a.seq);
      keys = await c.orderBy('p.seq', 'desc').limit(page.limit).execute();
    } else {
      let query = this.withDocs(plan).select(['d.conv_id', 'd.seq', 'd.created_at']);
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
      keys = await query.limit(page.limit).execute();
    }
    const order = keys.map((k) => ({ convId: asId(k.conv_id), seq: asNum(k.seq) }));
    const docs = new Map((await this.docs(order)).map((d) => [`${d.convId}:${d.seq}`, d]));
    return order.flatMap((k) => docs.get(`${k.convId}:${k.seq}`) ?? []);
  }

  async count(q: ParsedQuery, scope: SearchScope): Promise<ConversationCount[]> {
    const plan = this.plan(q, scope);
    if (!plan) return [];
    let rows: Record<string, unknown>[];
    if (!plan.docFilters) {
      // Counted on the postings; the time of each conversation's newest hit read after.
      rows = await this.db
        .selectFrom(plan.candidates.as('c'))
        .select((eb) => ['c.conv_id', eb.fn.countAll().as('n'), eb.fn.max('c.seq').as('last_seq')])
        .groupBy('c.conv_id')
        .execute();
      const newest = await this.times(rows.map((r) => ({ convId: asId(r.conv_id), seq: asNum(r.last_seq) })));
      for (const r of rows) r.last_at = newest.get(`${asId(r.conv_id)}:${asNum(r.last_seq)}`) ?? 0;
    } else {
      rows = await this.withDocs(plan)
        .select((eb) => [
          'd.conv_id',
          eb.fn.countAll().as('n'),
          eb.fn.max('d.seq').as('last_seq'),
          eb.fn.max('d.created_at').as('last_at'),
        ])
        .groupBy('d.conv_id')
        .execute();
    }
    return rows
      .map((r) => ({
        convId: asId(r.conv_id),
        count: asNum(r.n),
        lastSeq: asNum(r.last_seq),
        lastAt: asNum(r.last_at),
      }))
      .sort((x, y) => y.lastAt - x.lastAt || (x.convId < y.convId ? 1 : -1));
  }

  /** Whole documents by key (in no particular order). */
  async docs(keys: readonly DocKey[]): Promise<IndexDoc[]> {
    const out: IndexDoc[] = [];
    for (let i = 0; i < keys.length; i += KEYS_PER_QUERY) {
      const rows = await this.db
        .selectFrom('search_docs')
        .selectAll()
        .where((eb) => this.keyIn(eb, keys.slice(i, i + KEYS_PER_QUERY)))
        .execute();
      for (const r of rows)
        out.push({
          convId: asId(r.conv_id),
          seq: asNum(r.seq),
          msgId: asId(r.msg_id),
          senderId: asId(r.sender_id),
          type: asNum(r.type),
          createdAt: asNum(r.created_at),
          text: String(r.body),
          content: String(r.content),
        });
    }
    return out;
  }

  /** `conv_id`/`seq` is one of `keys`. */
  keyIn(eb: Eb, keys: readonly DocKey[]): Expression<SqlBool> {
    return eb.or(keys.map((k) => eb.and([eb('conv_id', '=', this.int(k.convId)), eb('seq', '=', k.seq)])));
  }

  /** An id as a typed integer: never compared as text or floating point on any engine. */
  int(v: string) {
    return this.engine === 'mysql' ? sql<string>`cast(${v} as signed)` : sql<string>`cast(${v} as bigint)`;
  }

  private async times(keys: readonly DocKey[]): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    for (let i = 0; i < keys.length; i += KEYS_PER_QUERY) {
      const rows = await this.db
        .selectFrom('search_docs')
        .select(['conv_id', 'seq', 'created_at'])
        .where((eb) => this.keyIn(eb, keys.slice(i, i + KEYS_PER_QUERY)))
        .execute();
      for (const r of rows) out.set(`${asId(r.conv_id)}:${asNum(r.seq)}`, asNum(r.created_at));
    }
    return out;
  }

  /** The candidates (`p`: conversation and seq) of `q` in scope, and what needs the documents. */
  private plan(q: ParsedQuery, scope: SearchScope) {
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
      .where((eb) => this.inWindows(eb, scope.windows))
      .where((eb) => {
        const has = (cond: (e: Eb) => Expression<SqlBool>) =>
          eb.exists(
            eb
              .selectFrom('search_postings as o')
              .select(sql.lit(1).as('one'))
              .whereRef('o.conv_id', '=', 'p.conv_id')
              .whereRef('o.seq', '=', 'p.seq')
              .where(cond),
          );
        return eb.and([
          ...otherExact.map((t) => has((e) => e('o.token', '=', t))),
          ...otherPrefixes.map((x) => has((e) => this.prefixOf(e, 'o.token', x))),
        ]);
      });
    // One document may hold several words with the prefix.
    if (driver.prefix) candidates = candidates.distinct();
    const docFilters =
      likes.length > 0 ||
      !!scope.senderId ||
      !!scope.types?.length ||
      scope.fromMs !== undefined ||
      scope.toMs !== undefined;
    return { candidates, likes, scope, docFilters };
  }

  /** The candidates joined to their documents (`d`), the document filters applied. */
  private withDocs(plan: NonNullable<ReturnType<IndexQueries['plan']>>) {
    const { scope, likes } = plan;
    return this.db
      .selectFrom(plan.candidates.as('c'))
      .innerJoin('search_docs as d', (j) =>
        j.onRef('d.conv_id', '=', 'c.conv_id').onRef('d.seq', '=', 'c.seq'),
      )
      .where((eb) => {
        const all: Expression<SqlBool>[] = [];
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
    const isWhole = (w: ReadWindow) => w.firstSeq <= 1 && w.lastSeq === undefined && !w.hiddenSeqs?.length;
    const whole = windows.filter(isWhole).map((w) => w.convId);
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
      if (isWhole(w)) continue;
      const conds = [eb('p.conv_id', '=', this.int(w.convId)), eb('p.seq', '>=', w.firstSeq)];
      if (w.lastSeq !== undefined) conds.push(eb('p.seq', '<=', w.lastSeq));
      if (w.hiddenSeqs?.length) conds.push(eb('p.seq', 'not in', [...w.hiddenSeqs]));
      parts.push(eb.and(conds));
    }
    return eb.or(parts);
  }
}
