import { sql, type Expression, type ExpressionBuilder, type Kysely, type SqlBool } from 'kysely';
import { asNum } from '../../adapters/sql/sql.js';
import type { SearchScope } from './search.port.js';
import type { ParsedQuery } from './search.text.js';

/**
 * How a query is looked up in the SQL index (search.index-query.ts walks the plan): which
 * term's postings drive the walks and which are checked on each posting.
 */

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Db = Kysely<any>;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Eb = ExpressionBuilder<any, any>;

/** Most distinct words a word prefix is read as; a prefix of more is read as a token range. */
export const PREFIX_WORDS_MAX = 32;
/**
 * Postings read of each exact token to tell the rarest (the one that drives the walks): a token
 * under it drives before one at it; tokens at it tie (the query's order). At 10 000 these reads
 * took 5-40 ms each on PostgreSQL at 1 M messages (docs/performance.md).
 */
export const ESTIMATE_LIMIT = 1_000;

/** What a candidate holds: one of `tokens`, or (a prefix of too many words) a token in the range. */
export type Term = { tokens: string[] } | { prefix: string };

export type Plan = {
  /** The term whose postings are walked: per read window and per token, newest seq first. */
  driver: Term;
  /** Terms checked on each walked posting (EXISTS on the postings' key). */
  others: Term[];
  likes: string[];
  scope: SearchScope;
  docFilters: boolean;
};

/**
 * How `q` is looked up in scope: its terms (each exact token; each word prefix as its words,
 * read from the postings' key, or past PREFIX_WORDS_MAX as a token range), the rarest exact
 * token driving (else the longest prefix). Undefined when nothing can match.
 */
export async function planQuery(
  db: Db,
  q: ParsedQuery,
  scope: SearchScope,
  tables: readonly string[] = ['search_postings'],
): Promise<Plan | undefined> {
  if (!q.lookups.length || !scope.windows.length) return undefined;
  const exact = [...new Set(q.lookups.flatMap((l) => l.exact ?? []))];
  const prefixes = [...new Set(q.lookups.flatMap((l) => (l.prefix ? [l.prefix] : [])))];
  const likes = q.lookups.flatMap((l) => (l.like ? [l.like] : []));
  prefixes.sort((a, b) => [...b].length - [...a].length);
  const words: Term[] = [];
  for (const prefix of prefixes) {
    const list = await wordsOf(db, prefix, tables);
    if (list?.length === 0) return undefined;
    words.push(list ? { tokens: list } : { prefix });
  }
  const rarest = await byRarity(db, exact, tables);
  const terms: Term[] = [...rarest.map((t) => ({ tokens: [t] })), ...words];
  // A prefix's word list drives before a range (walked per token, not sorted whole).
  const at = rarest.length
    ? 0
    : Math.max(
        0,
        words.findIndex((w) => 'tokens' in w),
      );
  const docFilters =
    likes.length > 0 ||
    !!scope.senderId ||
    !!scope.types?.length ||
    scope.fromMs !== undefined ||
    scope.toMs !== undefined;
  return { driver: terms[at]!, others: terms.filter((_, i) => i !== at), likes, scope, docFilters };
}

/**
 * The distinct tokens that start with `prefix`, one index seek each (in each postings table,
 * the smaller next token taken); undefined past the cap.
 */
async function wordsOf(db: Db, prefix: string, tables: readonly string[]): Promise<string[] | undefined> {
  const out: string[] = [];
  for (;;) {
    const last = out[out.length - 1];
    let next: string | undefined;
    for (const table of tables) {
      const row = await db
        .selectFrom(table)
        .select('token')
        .where((eb) =>
          last === undefined
            ? prefixOf(eb, 'token', prefix)
            : eb.and([eb('token', '>', last), prefixOf(eb, 'token', prefix)]),
        )
        .orderBy('token')
        .limit(1)
        .executeTakeFirst();
      const token = row && String(row.token);
      // The engines' byte order (the column's collation), not JavaScript's UTF-16 order.
      if (token !== undefined && (next === undefined || byteLess(token, next))) next = token;
    }
    if (next === undefined) return out;
    if (out.length === PREFIX_WORDS_MAX) return undefined;
    out.push(next);
  }
}

/** `a` before `b` in UTF-8 byte order (code point order), as the token column compares. */
const byteLess = (a: string, b: string) => {
  const [x, y] = [[...a], [...b]];
  for (let i = 0; i < Math.min(x.length, y.length); i++)
    if (x[i] !== y[i]) return x[i]!.codePointAt(0)! < y[i]!.codePointAt(0)!;
  return x.length < y.length;
};

/**
 * Exact tokens, rarest first (counted up to ESTIMATE_LIMIT postings each in each postings
 * table, in one statement).
 */
async function byRarity(db: Db, tokens: readonly string[], tables: readonly string[]): Promise<string[]> {
  if (tokens.length < 2) return [...tokens];
  const counts = tokens.flatMap((t, i) =>
    tables.map((table) =>
      db
        .selectFrom(db.selectFrom(table).select('seq').where('token', '=', t).limit(ESTIMATE_LIMIT).as('e'))
        .select((eb) => [sql.lit(i).as('i'), eb.fn.countAll().as('n')]),
    ),
  );
  const rows = await counts
    .slice(1)
    .reduce((u, c) => u.unionAll(c), counts[0]!)
    .execute();
  const n = new Map<number, number>();
  for (const r of rows) n.set(asNum(r.i), (n.get(asNum(r.i)) ?? 0) + asNum(r.n));
  return tokens
    .map((t, i) => ({ t, n: n.get(i) ?? 0 }))
    .sort((a, b) => a.n - b.n)
    .map((x) => x.t);
}

/** Tokens that start with `prefix`: a range, exact under the byte order of the token column. */
export function prefixOf(eb: Eb, column: string, prefix: string): Expression<SqlBool> {
  const chars = [...prefix];
  const last = chars.pop()!;
  const upper = chars.join('') + String.fromCodePoint(last.codePointAt(0)! + 1);
  return eb.and([eb(column, '>=', prefix), eb(column, '<', upper)]);
}
