/**
 * Matching people's and groups' names as WeChat does: the folded name contains the folded
 * query (so 張 finds 张, ＡＢ finds ab), or, for a query of Latin letters, the name's pinyin
 * does, by full spelling or initials or a mix (`zs`, `zhangsan` and `zhangs` all find 张三),
 * through pinyin-pro, which knows the readings of surnames and polyphonic characters.
 */
import { match as pinyinMatch } from 'pinyin-pro';
import { fold } from './search.text.js';

const LATIN = /^[a-z]+$/;

/** A name query, folded once for many names. */
export interface NameQuery {
  folded: string;
  /** Letters only: also tried against the pinyin of names. */
  pinyin: string | undefined;
}

/** Longest name query, in characters. */
export const NAME_QUERY_MAX_CHARS = 64;

export function nameQuery(query: string): NameQuery {
  const folded = fold(query).replace(/\s+/gu, '');
  return { folded, pinyin: LATIN.test(folded) ? folded : undefined };
}

/** How a name matched: by its text or by its pinyin; undefined when it does not. */
export function matchName(q: NameQuery, name: string): 'text' | 'pinyin' | undefined {
  if (!q.folded || !name) return undefined;
  if (fold(name).replace(/\s+/gu, '').includes(q.folded)) return 'text';
  if (q.pinyin && pinyinMatch(name, q.pinyin)) return 'pinyin';
  return undefined;
}
