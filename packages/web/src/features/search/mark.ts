import type { ConversationHits, Highlight } from '@mychat/sdk';

/**
 * Where a name shows the query, for marking it: every case-insensitive occurrence (a name found
 * by its pinyin has none, and is shown unmarked).
 */
export function markName(name: string, query: string): Highlight[] {
  const q = query.trim().toLowerCase();
  if (!q) return [];
  const lower = name.toLowerCase();
  // Only when lower-casing kept the length: the offsets must be the name's own.
  if (lower.length !== name.length) return [];
  const out: Highlight[] = [];
  for (let i = lower.indexOf(q); i >= 0; i = lower.indexOf(q, i + q.length))
    out.push({ start: i, end: i + q.length });
  return out;
}

/** A conversation's hit count as shown: "99+" when the server stopped counting. */
export const hitCount = (c: Pick<ConversationHits, 'count' | 'capped'>) =>
  c.capped ? `${c.count}+` : String(c.count);
