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
/** Read windows walked in one statement (SQLite allows 500 terms of a compound SELECT). */
const WINDOWS_PER_QUERY = 50;

/** Ids are canonical decimals: the shorter is the smaller. */
const byId = (a: string, b: string) => a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);

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
    const keys = page.order === 'time' ? await this.newest(q, scope, page) : await this.bySeq(q, scope, page);
    const docs = new Map((await this.docs(keys)).map((d) => [`${d.convId}:${d.seq}`, d]));
    return keys.flatMap((k) => docs.get(`${k.convId}:${k.seq}`) ?? []);
  }

  /** One conversation (or any), newest seq first. */
  private async bySeq(
    q: ParsedQuery,
    scope: SearchScope,
    page: { after?: HitCursor; limit: number },
  ): Promise<DocKey[]> {
    const plan = this.plan(q, scope);
    if (!plan) return [];
    const a = page.after;
    let keys: { conv_id: unknown; seq: unknown }[];
    if (!plan.docFilters) {
      // The postings' own order, no document touched.
      let c = plan.candidates;
      if (a) c = c.where('p.seq', '<', a.seq);
      keys = await c.orderBy('p.seq', 'desc').limit(page.limit).execute();
    } else {
      let query = this.withDocs(plan).select(['d.conv_id', 'd.seq']);
      if (a) query = query.where('d.seq', '<', a.seq);
      keys = await query.orderBy('c.seq', 'desc').limit(page.limit).execute();
    }
    return keys.map((k) => ({ convId: asId(k.conv_id), seq: asNum(k.seq) }));
  }

  /**
   * Across conversations, newest first (time, then conversation and seq, descending): each
   * read window's newest `limit` candidates by seq, walked backwards along the postings' key
   * and stopped at the limit, then merged by time. A conversation's seqs are in the order of
   * its messages' times, so the newest `limit` overall are among them; the candidates of a
   * common token are never all read (at 1 M messages a one-character query has hundreds of
   * thousands). WINDOWS_PER_QUERY windows' walks are one statement (UNION ALL).
   */
  private async newest(
    q: ParsedQuery,
    scope: SearchScope,
    page: { after?: HitCursor; limit: number },
  ): Promise<DocKey[]> {
    const a = page.after;
    const rows: { conv_id: unknown; seq: unknown; created_at?: unknown }[] = [];
    for (let i = 0; i < scope.windows.length; i += WINDOWS_PER_QUERY) {
      const walks = scope.windows.slice(i, i + WINDOWS_PER_QUERY).flatMap((w, j) => {
        const plan = this.plan(q, { ...scope, windows: [w] });
        if (!plan) return [];
        const sub =
          plan.docFilters || a
            ? this.withDocs(plan)
                .select(['d.conv_id', 'd.seq', 'd.created_at'])
                .$if(!!a, (qb) => qb.where((eb) => this.before(eb, a!)))
                .orderBy('c.seq', 'desc')
                .limit(page.limit)
            : plan.candidates.orderBy('p.seq', 'desc').limit(page.limit);
        return [this.db.selectFrom(sub.as(`w${j}`)).selectAll()];
      });
      if (!walks.length) continue;
      const union = walks.slice(1).reduce((u, w) => u.unionAll(w), walks[0]!);
      rows.push(...((await union.execute()) as typeof rows));
    }
    const keys = rows.map((r) => ({ convId: asId(r.conv_id), seq: asNum(r.seq) }));
    const at =
      rows[0]?.created_at !== undefined
        ? new Map(rows.map((r) => [`${asId(r.conv_id)}:${asNum(r.seq)}`, asNum(r.created_at)]))
        : await this.times(keys);
    const time = (k: DocKey) => at.get(`${k.convId}:${k.seq}`) ?? 0;
    return keys
      .sort((x, y) => time(y) - time(x) || byId(y.convId, x.convId) || y.seq - x.seq)
      .slice(0, page.limit);
  }

  /** Documents (`d`) after `a` in the time order. */
  private before(eb: Eb, a: HitCursor): Expression<SqlBool> {
    return eb.or([
      eb('d.created_at', '<', a.createdAt),
      eb.and([
        eb('d.created_at', '=', a.createdAt),
        eb.or([
          eb('d.conv_id', '<', this.int(a.convId)),
          eb.and([eb('d.conv_id', '=', this.int(a.convId)), eb('d.seq', '<', a.seq)]),
        ]),
      ]),
    ]);
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
    return (
      this.db
        .selectFrom(plan.candidates.as('c'))
        // A cross join: SQLite then walks the candidates and looks each document up (a join
        // would let it walk a whole conversation's documents for a rare token's candidates).
        .crossJoin('search_docs as d')
        .whereRef('d.conv_id', '=', 'c.conv_id')
        .whereRef('d.seq', '=', 'c.seq')
        .where((eb) => {
          const all: Expression<SqlBool>[] = [];
          for (const l of likes) all.push(eb('d.folded', 'like', `%${l}%`));
          if (scope.senderId) all.push(eb('d.sender_id', '=', this.int(scope.senderId)));
          if (scope.types?.length) all.push(eb('d.type', 'in', [...scope.types]));
          if (scope.fromMs !== undefined) all.push(eb('d.created_at', '>=', scope.fromMs));
          if (scope.toMs !== undefined) all.push(eb('d.created_at', '<', scope.toMs));
          return eb.and(all);
        })
    );
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
