import {
  sql,
  type CompiledQuery,
  type Expression,
  type ExpressionBuilder,
  type Kysely,
  type SqlBool,
} from 'kysely';
import { asId, asNum, type SqlEngine } from '../../adapters/sql/sql.js';
import type {
  ConversationCount,
  DocKey,
  HitCursor,
  IndexDoc,
  ReadWindow,
  SearchScope,
} from './search.port.js';
import { planQuery, prefixOf, type Plan, type Term } from './search.index-plan.js';
import type { ParsedQuery } from './search.text.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Eb = ExpressionBuilder<any, any>;

/** Keys per lookup of whole documents. */
const KEYS_PER_QUERY = 200;
/**
 * Walks (one read window, one driving token) in one statement (SQLite allows 500 terms of a
 * compound SELECT).
 */
const WALKS_PER_QUERY = 50;
/** Most hits counted per conversation: past it a count is COUNT_CAP and `capped` ("99+"). */
export const COUNT_CAP = 99;

/** Ids are canonical decimals: the shorter is the smaller. */
const byId = (a: string, b: string) => a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);

type Row = { conv_id: unknown; seq: unknown; created_at?: unknown };

/**
 * The reads of the SQL search index. A query's candidates come from the postings alone: the
 * rarest exact token's postings (a 2-character pair over a single character, the rarest pair of
 * a longer run), else a word prefix's words, walked in each read window newest seq first and
 * stopped at the page's limit; every other term is an EXISTS on the postings' key. Documents
 * are read only for what needs them (a filter, the folded-text check of long CJK runs, the
 * time order) and, whole, only for the page answered. Per-conversation counts walk the same
 * way, stopped at COUNT_CAP + 1: no query reads all of a common token's postings.
 */
export class IndexQueries {
  constructor(
    private readonly db: Kysely<any>, // eslint-disable-line @typescript-eslint/no-explicit-any
    private readonly engine: SqlEngine,
    /**
     * The postings tables, each walked on its own (on SQLite also the recent postings not yet
     * merged, search.index.ts): a posting is in exactly one of them at any time.
     */
    private readonly postings: readonly string[] = ['search_postings'],
  ) {}

  /** Plans by query and scope object: see `plan`. */
  private readonly plans = new WeakMap<ParsedQuery, WeakMap<SearchScope, Promise<Plan | undefined>>>();

  /**
   * The plan of `q` in `scope`, made once per pair of objects: a search makes its own and asks
   * `find` (once a page it fetches) and `count` with them, so they share one plan (its
   * rarest-token counts and word lists were read up to four times a search). Held only while the
   * caller holds the objects; a failed plan is not kept.
   */
  private plan(q: ParsedQuery, scope: SearchScope): Promise<Plan | undefined> {
    let byScope = this.plans.get(q);
    if (!byScope) this.plans.set(q, (byScope = new WeakMap()));
    let plan = byScope.get(scope);
    if (!plan) {
      plan = planQuery(this.db, q, scope, this.postings);
      byScope.set(scope, plan);
      plan.catch(() => byScope.delete(scope));
    }
    return plan;
  }

  async find(
    q: ParsedQuery,
    scope: SearchScope,
    page: { order: 'time' | 'seq'; after?: HitCursor; limit: number },
  ): Promise<IndexDoc[]> {
    const plan = await this.plan(q, scope);
    if (!plan) return [];
    const keys = page.order === 'time' ? await this.newest(plan, page) : await this.bySeq(plan, page);
    const docs = new Map((await this.docs(keys)).map((d) => [`${d.convId}:${d.seq}`, d]));
    return keys.flatMap((k) => docs.get(`${k.convId}:${k.seq}`) ?? []);
  }

  /** One conversation (or any), newest seq first. */
  private async bySeq(plan: Plan, page: { after?: HitCursor; limit: number }): Promise<DocKey[]> {
    const a = page.after;
    const rows = await this.walks(plan, page.limit, a && ((eb, on) => eb(`${on}.seq`, '<', a.seq)));
    return unique(rows)
      .sort((x, y) => y.seq - x.seq || byId(y.convId, x.convId))
      .slice(0, page.limit);
  }

  /**
   * Across conversations, newest first (time, then conversation and seq, descending): each
   * walk's newest `limit` candidates by seq, then merged by time. A conversation's seqs are in
   * the order of its messages' times, so the newest `limit` overall are among them; the
   * candidates of a common token are never all read (at 1 M messages a one-character query
   * has hundreds of thousands).
   */
  private async newest(plan: Plan, page: { after?: HitCursor; limit: number }): Promise<DocKey[]> {
    const a = page.after;
    const rows = await this.walks(plan, page.limit, a && ((eb) => this.before(eb, a)), !!a);
    const keys = newestSeqs(unique(rows), page.limit);
    const at = await this.timesOf(rows, keys);
    const time = (k: DocKey) => at.get(`${k.convId}:${k.seq}`) ?? 0;
    return keys
      .sort((x, y) => time(y) - time(x) || byId(y.convId, x.convId) || y.seq - x.seq)
      .slice(0, page.limit);
  }

  /**
   * Each (read window, driving token)'s newest `limit` candidates by seq, walked backwards
   * along the postings' key and stopped at the limit (a cross join to the documents when a
   * filter, the cursor or `times` needs them, so the engine still walks the postings), in
   * statements of WALKS_PER_QUERY walks (UNION ALL). `cond` is on the postings (`p`) or, when
   * the documents are read, on them (`d`).
   */
  private async walks(
    plan: Plan,
    limit: number,
    cond?: (eb: Eb, on: 'p' | 'd') => Expression<SqlBool>,
    times = false,
  ): Promise<Row[]> {
    const drivers: Term[] =
      'tokens' in plan.driver ? plan.driver.tokens.map((t) => ({ tokens: [t] })) : [plan.driver];
    const all = plan.scope.windows.flatMap((w) => drivers.map((d) => ({ w, d })));
    const withDocs = plan.docFilters || times;
    const rows: Row[] = [];
    // Each postings table walked on its own, stopped at the limit: the newest `limit` of a walk
    // are among the newest `limit` of each table's.
    const perWalk = all.flatMap((x) => this.postings.map((table) => ({ ...x, table })));
    for (let i = 0; i < perWalk.length; i += WALKS_PER_QUERY) {
      const walks = perWalk.slice(i, i + WALKS_PER_QUERY).map(({ w, d, table }, j) => {
        const c = this.candidates(plan, d, w, table);
        const sub = withDocs
          ? this.withDocs(c, plan)
              .select(['d.conv_id', 'd.seq', 'd.created_at'])
              .$if(!!cond, (qb) => qb.where((eb) => cond!(eb, 'd')))
              .orderBy('c.seq', 'desc')
              .limit(limit)
          : c
              .$if(!!cond, (qb) => qb.where((eb) => cond!(eb, 'p')))
              .orderBy('p.seq', 'desc')
              .limit(limit);
        return this.db.selectFrom(sub.as(`w${j}`)).selectAll();
      });
      const union = walks.slice(1).reduce((u, w) => u.unionAll(w), walks[0]!);
      rows.push(...(await this.walkRows(union.compile(), 'tokens' in plan.driver)));
    }
    return rows;
  }

  /**
   * A statement of walks. Walks of exact tokens (`keyed`) run on PostgreSQL with sorting priced
   * out (`SET LOCAL enable_sort = off`, for that statement's transaction only): each walk's
   * order then comes from its driving token's key, read backwards and stopped at the limit.
   * Left to its estimates, the planner read every candidate of the window and sorted them
   * whenever it expected fewer hits than the limit: it hash-joined all postings of both pairs of
   * a 3-character run without statistics (1.5 s a query at 1 M messages), and with them still
   * sorted the smaller windows. A token range's walk (DISTINCT) has no key order to follow and
   * must sort: priced out, its plans were far worse (seconds on a few hundred postings).
   */
  private async walkRows(statement: CompiledQuery, keyed: boolean): Promise<Row[]> {
    if (this.engine !== 'postgres' || !keyed) return (await this.db.executeQuery<Row>(statement)).rows;
    return this.db.transaction().execute(async (tx) => {
      await sql`set local enable_sort = off`.execute(tx);
      return (await tx.executeQuery<Row>(statement)).rows;
    });
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

  /**
   * Hits per conversation, newest hit first: each walk stopped at COUNT_CAP + 1, so a count
   * past COUNT_CAP is COUNT_CAP and `capped` (a walk that stopped there found that many distinct
   * hits; one that did not found all of its own).
   */
  async count(q: ParsedQuery, scope: SearchScope): Promise<ConversationCount[]> {
    const plan = await this.plan(q, scope);
    if (!plan) return [];
    const rows = await this.walks(plan, COUNT_CAP + 1);
    const keys = unique(rows);
    const per = new Map<string, { n: number; lastSeq: number }>();
    for (const k of keys) {
      const c = per.get(k.convId);
      if (!c) per.set(k.convId, { n: 1, lastSeq: k.seq });
      else {
        c.n++;
        c.lastSeq = Math.max(c.lastSeq, k.seq);
      }
    }
    const newest = [...per].map(([convId, c]) => ({ convId, seq: c.lastSeq }));
    const at = await this.timesOf(rows, newest);
    return [...per]
      .map(([convId, c]) => ({
        convId,
        count: Math.min(c.n, COUNT_CAP),
        ...(c.n > COUNT_CAP && { capped: true }),
        lastSeq: c.lastSeq,
        lastAt: at.get(`${convId}:${c.lastSeq}`) ?? 0,
      }))
      .sort((x, y) => y.lastAt - x.lastAt || byId(y.convId, x.convId));
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

  /** The times of `keys`: from the walks' rows when they read them, else from the documents. */
  private async timesOf(rows: readonly Row[], keys: readonly DocKey[]): Promise<Map<string, number>> {
    if (rows[0]?.created_at === undefined) return this.times(keys);
    return new Map(rows.map((r) => [`${asId(r.conv_id)}:${asNum(r.seq)}`, asNum(r.created_at)]));
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

  /**
   * The candidates (`p`: conversation and seq) of `driver` in window `w` from postings table
   * `table`, with every other term (in any postings table).
   */
  private candidates(plan: Plan, driver: Term, w: ReadWindow, table: string) {
    const holds = (eb: Eb, column: string, term: Term) =>
      'prefix' in term
        ? prefixOf(eb, column, term.prefix)
        : term.tokens.length === 1
          ? eb(column, '=', term.tokens[0]!)
          : eb(column, 'in', term.tokens);
    const c = this.db
      .selectFrom(`${table} as p`)
      .select(['p.conv_id', 'p.seq'])
      .where((eb) => holds(eb, 'p.token', driver))
      .where((eb) => this.inWindows(eb, [w]))
      .where((eb) =>
        eb.and(
          plan.others.map((term) =>
            eb.or(
              this.postings.map((other) =>
                eb.exists(
                  eb
                    .selectFrom(`${other} as o`)
                    .select(sql.lit(1).as('one'))
                    .whereRef('o.conv_id', '=', 'p.conv_id')
                    .whereRef('o.seq', '=', 'p.seq')
                    .where((e) => holds(e, 'o.token', term)),
                ),
              ),
            ),
          ),
        ),
      );
    // One document may hold several words of a range.
    return 'prefix' in driver ? c.distinct() : c;
  }

  /** The candidates joined to their documents (`d`), the document filters applied. */
  private withDocs(candidates: ReturnType<IndexQueries['candidates']>, plan: Plan) {
    const { scope, likes } = plan;
    const from = this.db.selectFrom(candidates.as('c'));
    return (
      this.engine === 'postgres'
        ? // A lateral lookup that cannot be flattened (OFFSET 0): PostgreSQL then looks each
          // candidate's document up. As a join, without statistics it read every document of the
          // conversation for the substring check (500 000 at 1 M messages: 2 s a walk).
          from.crossJoinLateral((eb) =>
            eb
              .selectFrom('search_docs as sd')
              .selectAll()
              .whereRef('sd.conv_id', '=', 'c.conv_id')
              .whereRef('sd.seq', '=', 'c.seq')
              .offset(0)
              .as('d'),
          )
        : // A cross join: SQLite then walks the candidates and looks each document up (a join
          // would let it walk a whole conversation's documents for a rare token's candidates).
          from
            .crossJoin('search_docs as d')
            .whereRef('d.conv_id', '=', 'c.conv_id')
            .whereRef('d.seq', '=', 'c.seq')
    ).where((eb) => {
      const all: Expression<SqlBool>[] = [];
      for (const l of likes) all.push(eb('d.folded', 'like', `%${l}%`));
      if (scope.senderId) all.push(eb('d.sender_id', '=', this.int(scope.senderId)));
      if (scope.types?.length) all.push(eb('d.type', 'in', [...scope.types]));
      if (scope.fromMs !== undefined) all.push(eb('d.created_at', '>=', scope.fromMs));
      if (scope.toMs !== undefined) all.push(eb('d.created_at', '<', scope.toMs));
      return eb.and(all);
    });
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

/** The distinct keys of walked rows, in their order. */
function unique(rows: readonly Row[]): DocKey[] {
  const seen = new Map<string, DocKey>();
  for (const r of rows) {
    const k = { convId: asId(r.conv_id), seq: asNum(r.seq) };
    seen.set(`${k.convId}:${k.seq}`, k);
  }
  return [...seen.values()];
}

/**
 * Each conversation's `limit` highest seqs of `keys`: what one walk of a single postings table
 * gives, also when a conversation's hits come from several (a conversation's seqs are in the
 * order of its times, so the newest `limit` by time are among them).
 */
function newestSeqs(keys: DocKey[], limit: number): DocKey[] {
  const byConv = new Map<string, DocKey[]>();
  for (const k of keys) {
    const list = byConv.get(k.convId);
    if (list) list.push(k);
    else byConv.set(k.convId, [k]);
  }
  if ([...byConv.values()].every((l) => l.length <= limit)) return keys;
  return [...byConv.values()].flatMap((l) => l.sort((x, y) => y.seq - x.seq).slice(0, limit));
}
