import { AppError, type ErrorCode, errors } from '../../kernel/errors.js';
import { parseId } from '../../kernel/ids.js';

/** Input limits of the square API (characters are code points, as a person counts them). */
export const LIMITS = {
  title: 120,
  body: 10_000,
  images: 9,
  mentions: 10,
  reason: 500,
  boardName: 40,
  boardDescription: 500,
  keywords: 500,
  keyword: 50,
  excerpt: 200,
  quoteExcerpt: 140,
  threadsDefault: 20,
  postsDefault: 30,
  pageMax: 100,
  maxBanSeconds: 10 * 365 * 86_400,
} as const;

/**
 * Characters a post may not carry: C0/C1 controls other than newline and tab, bidi overrides
 * and isolates, line and paragraph separators, and the BOM. Joiners stay: emoji need them.
 */
const FORBIDDEN =
  // eslint-disable-next-line no-control-regex
  /[\u0000-\u0008\u000B-\u001F\u007F-\u009F\u200E\u200F\u202A-\u202E\u2066-\u2069\u2028\u2029\uFEFF]/u;

const charCount = (s: string) => [...s].length;

/** Free text: trimmed, NFC, 1..max characters (0 allowed unless `required`). */
export function parseText(
  raw: string,
  field: string,
  max: number,
  opts: { multiline: boolean; required: boolean },
) {
  if (raw.length > max * 4) throw errors.tooLong(field, max);
  const v = raw.trim().normalize('NFC');
  if (charCount(v) > max) throw errors.tooLong(field, max);
  if (FORBIDDEN.test(v) || (!opts.multiline && /[\n\t]/.test(v)))
    throw errors.invalidArgument(`${field} has control characters`, field);
  if (opts.required && !v) throw errors.invalidArgument(`${field} is empty`, field);
  return v;
}

/** Ids of a list, de-duplicated, at most `max` (beyond that: `code`, or INVALID_ARGUMENT). */
export function parseIds(raw: readonly string[], field: string, max: number, code?: ErrorCode): string[] {
  if (raw.length > max)
    throw code === undefined
      ? errors.invalidArgument(`at most ${max} ids`, field)
      : new AppError(code, `at most ${max} ${field}`, { field });
  return [...new Set(raw.map((id) => parseId(id, field)))];
}

/** A page size: 0 means `def`. */
export function parseLimit(raw: number, def: number): number {
  if (raw === 0) return def;
  if (!Number.isInteger(raw) || raw < 1 || raw > LIMITS.pageMax)
    throw errors.invalidArgument(`limit must be 1-${LIMITS.pageMax}`, 'limit');
  return raw;
}

export const optionalId = (raw: string, field: string): string => (raw === '' ? '' : parseId(raw, field));

/** The keyword list: trimmed, lower-cased, de-duplicated, none empty. */
export function parseKeywords(raw: readonly string[]): string[] {
  if (raw.length > LIMITS.keywords)
    throw errors.invalidArgument(`at most ${LIMITS.keywords} keywords`, 'keywords');
  const out = new Set<string>();
  for (const w of raw) {
    const v = parseText(w, 'keywords', LIMITS.keyword, { multiline: false, required: true }).toLowerCase();
    out.add(v);
  }
  return [...out];
}

/** A short excerpt of a post's text, for lists and quotes. */
export function excerpt(text: string, max: number): string {
  const chars = [...text.replace(/\s+/g, ' ').trim()];
  return chars.length <= max ? chars.join('') : `${chars.slice(0, max - 1).join('')}…`;
}
