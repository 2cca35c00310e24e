/**
 * The search tokenizer: one behaviour for every SQL engine, so the index answers the same
 * everywhere. Text is folded (Unicode NFKC, lower case, Traditional -> Simplified Chinese one
 * character at a time), then cut into runs:
 *
 * - CJK runs (Han, kana, Hangul) are indexed as every single character and every pair of
 *   neighbours, so a query of 1 or 2 characters is one exact token and a longer one is a
 *   chain of pairs whose candidates are checked against the text;
 * - word runs (letters, digits and marks of other scripts) are indexed as words, and a query
 *   word matches every word that starts with it;
 * - everything else (spaces, punctuation, emoji, symbols) separates runs and is never indexed.
 *
 * A query matches a text when every run of the query matches: a CJK run as a substring of the
 * folded text, a word as the start of one of its words. Nothing here touches a database.
 */
import { from as openccFrom, to as openccTo } from 'opencc-js/preset/t2cn';

/** Longest word token, in UTF-16 units: longer words are indexed by their start (then checked). */
export const WORD_TOKEN_MAX = 32;

const CJK = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]/u;
const CJK_RUN = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]+/gu;
/** Letters, digits and marks that are not CJK: the characters of words. */
const WORD_RUN =
  /(?:(?![\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}])[\p{L}\p{N}\p{M}])+/gu;
const HAN = /\p{Script=Han}/u;
const HAN_ALL = /\p{Script=Han}/gu;

let tsMap: Map<string, string> | undefined;

/**
 * Traditional -> Simplified, one character at a time, from OpenCC's dictionaries: the Taiwan
 * and Hong Kong variant forms to the standard Traditional ones, then Traditional characters to
 * Simplified. Phrases are left out on purpose: a search fold must map each character on its
 * own so that a text and every piece of it fold alike.
 */
function traditionalToSimplified(): Map<string, string> {
  if (tsMap) return tsMap;
  const single = (groups: readonly (readonly unknown[])[] | undefined) => {
    const m = new Map<string, string>();
    for (const group of groups ?? [])
      for (const dict of group) {
        const pairs =
          typeof dict === 'string'
            ? dict.split('|').map((e) => e.split(' ') as [string, string?])
            : (dict as readonly (readonly [string, string])[]);
        for (const [from, to] of pairs)
          if (to && [...from].length === 1 && [...to].length === 1 && !m.has(from)) m.set(from, to);
      }
    return m;
  };
  const variants = new Map([...single(openccFrom.hk), ...single(openccFrom.tw)]);
  const toSimplified = single(openccTo.cn);
  const out = new Map<string, string>();
  for (const [from, to] of variants) out.set(from, toSimplified.get(to) ?? to);
  for (const [from, to] of toSimplified) if (!out.has(from)) out.set(from, to);
  for (const [from, to] of out) if (from === to) out.delete(from);
  tsMap = out;
  return out;
}

/** The folded form every comparison uses: NFKC, lower case, Simplified Chinese. */
export function fold(text: string): string {
  const s = text.normalize('NFKC').toLowerCase();
  if (!HAN.test(s)) return s;
  const ts = traditionalToSimplified();
  return s.replace(HAN_ALL, (c) => ts.get(c) ?? c);
}

/** A run of a folded text or query. */
export interface Run {
  kind: 'cjk' | 'word';
  text: string;
  /** Where the run starts in the folded text (UTF-16 index). */
  at: number;
}

/** The CJK and word runs of a folded text, in order. */
export function runs(folded: string): Run[] {
  const out: Run[] = [];
  for (const m of folded.matchAll(CJK_RUN)) out.push({ kind: 'cjk', text: m[0], at: m.index });
  for (const m of folded.matchAll(WORD_RUN)) out.push({ kind: 'word', text: m[0], at: m.index });
  return out.sort((a, b) => a.at - b.at);
}

/** A word cut to {@link WORD_TOKEN_MAX} without splitting a surrogate pair. */
export function wordToken(word: string): string {
  if (word.length <= WORD_TOKEN_MAX) return word;
  const cut = word.slice(0, WORD_TOKEN_MAX);
  return /[\ud800-\udbff]$/.test(cut) ? cut.slice(0, -1) : cut;
}

/** The tokens of CJK run `run`: every character and every pair of neighbours. */
function cjkTokens(run: string, into: Set<string>): void {
  const chars = [...run];
  for (let i = 0; i < chars.length; i++) {
    into.add(chars[i]!);
    if (i + 1 < chars.length) into.add(chars[i]! + chars[i + 1]!);
  }
}

/** The distinct index tokens of a text (folded here). */
export function indexTokens(text: string): string[] {
  return foldedTokens(fold(text));
}

/** The distinct index tokens of a text already folded (see {@link fold}). */
export function foldedTokens(folded: string): string[] {
  const tokens = new Set<string>();
  for (const r of runs(folded)) {
    if (r.kind === 'cjk') cjkTokens(r.text, tokens);
    else tokens.add(wordToken(r.text));
  }
  return [...tokens];
}

/**
 * How the index finds the candidates of one query run: `exact` tokens that must all be in a
 * document, or (words) the `prefix` its word tokens must start with. `like`, when set, is the
 * substring the folded text must contain (CJK runs longer than two characters, whose pair
 * chain alone could match text where the pairs are apart).
 */
export interface TermLookup {
  exact?: string[];
  prefix?: string;
  like?: string;
}

/** A parsed query: its runs, and how the index looks each up. */
export interface ParsedQuery {
  folded: string;
  runs: Run[];
  lookups: TermLookup[];
}

/** Longest query, in characters (code points) before folding. */
export const QUERY_MAX_CHARS = 100;

/**
 * Parses a query. Runs repeated in the query count once. A query with no run (only spaces,
 * punctuation or emoji) has nothing to look up and matches nothing.
 */
export function parseQuery(query: string): ParsedQuery {
  const folded = fold(query);
  const seen = new Set<string>();
  const rs = runs(folded).filter((r) => {
    const key = `${r.kind}:${r.text}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  const lookups = rs.map((r): TermLookup => {
    if (r.kind === 'word') return { prefix: wordToken(r.text) };
    const chars = [...r.text];
    if (chars.length <= 2) return { exact: [r.text] };
    const pairs = new Set<string>();
    for (let i = 0; i + 1 < chars.length; i++) pairs.add(chars[i]! + chars[i + 1]!);
    return { exact: [...pairs], like: r.text };
  });
  return { folded, runs: rs, lookups };
}

/** The words of a folded text. */
function wordsOf(folded: string): Run[] {
  return runs(folded).filter((r) => r.kind === 'word');
}

/** Whether a text (original, folded here) matches every run of the query: the final check. */
export function matches(q: ParsedQuery, text: string): boolean {
  if (!q.runs.length) return false;
  const folded = fold(text);
  let words: Run[] | undefined;
  for (const r of q.runs) {
    if (r.kind === 'cjk') {
      if (!folded.includes(r.text)) return false;
    } else {
      words ??= wordsOf(folded);
      if (!words.some((w) => w.text.startsWith(r.text))) return false;
    }
  }
  return true;
}

/** Whether a folded run is CJK (for callers that classify single characters). */
export const isCjk = (c: string) => CJK.test(c);

/** A folded text with, for each of its UTF-16 units, the span of the original it came from. */
interface MappedFold {
  folded: string;
  start: number[];
  end: number[];
}

/**
 * Folds a text piece by piece (a character with the marks that follow it), remembering where
 * each piece came from, so matches in the folded text can be shown on the original.
 */
function foldMapped(text: string): MappedFold {
  const start: number[] = [];
  const end: number[] = [];
  let folded = '';
  for (const m of text.matchAll(/\P{M}\p{M}*|\p{M}+/gu)) {
    const piece = fold(m[0]);
    for (let i = 0; i < piece.length; i++) {
      start.push(m.index);
      end.push(m.index + m[0].length);
    }
    folded += piece;
  }
  return { folded, start, end };
}

/** A highlighted excerpt of a text: `ranges` are [start, end) UTF-16 offsets into `text`. */
export interface Snippet {
  text: string;
  ranges: [number, number][];
}

/**
 * An excerpt of `text` around its first match of `q`, at most about `max` characters, with
 * every match in it marked; the start of the text (unmarked) when nothing can be placed.
 */
export function snippet(q: ParsedQuery, text: string, max = 80): Snippet {
  const { folded, start, end } = foldMapped(text);
  const found: [number, number][] = [];
  for (const r of q.runs) {
    if (r.kind === 'cjk') {
      for (let i = folded.indexOf(r.text); i >= 0; i = folded.indexOf(r.text, i + r.text.length))
        found.push([i, i + r.text.length]);
    } else {
      for (const w of wordsOf(folded))
        if (w.text.startsWith(r.text)) found.push([w.at, w.at + r.text.length]);
    }
  }
  const ranges = merge(found.map(([a, b]): [number, number] => [start[a]!, end[b - 1]!]));
  if (!ranges.length) return { text: clip(text, 0, max), ranges: [] };
  const first = ranges[0]!;
  // Some context before the first match, the rest after it.
  let from = Math.max(0, first[0] - Math.floor(max / 4));
  if (text.length - from < max) from = Math.max(0, text.length - max);
  from = safeCut(text, from);
  const to = safeCut(text, Math.min(text.length, from + max));
  const lead = from > 0 ? '…' : '';
  const tail = to < text.length ? '…' : '';
  const shift = lead.length - from;
  return {
    text: lead + text.slice(from, to) + tail,
    ranges: ranges
      .filter(([a, b]) => a >= from && b <= to)
      .map(([a, b]): [number, number] => [a + shift, b + shift]),
  };
}

function clip(text: string, from: number, max: number): string {
  const to = safeCut(text, Math.min(text.length, from + max));
  return text.slice(from, to) + (to < text.length ? '…' : '');
}

/** `i`, moved back off the low half of a surrogate pair. */
function safeCut(text: string, i: number): number {
  return i > 0 && i < text.length && /[\udc00-\udfff]/.test(text[i]!) ? i - 1 : i;
}

function merge(ranges: [number, number][]): [number, number][] {
  const sorted = ranges.sort((a, b) => a[0] - b[0]);
  const out: [number, number][] = [];
  for (const r of sorted) {
    const last = out[out.length - 1];
    if (last && r[0] <= last[1]) last[1] = Math.max(last[1], r[1]);
    else out.push([r[0], r[1]]);
  }
  return out;
}
