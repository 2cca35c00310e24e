import { describe, expect, it } from 'vitest';
import { fold, indexTokens, matches, parseQuery, snippet, WORD_TOKEN_MAX } from './search.text.js';

/** The corpus, checked through the tokenizer alone (the index repeats it on three engines). */
const CORPUS = [
  '我们周末去公园散步吧',
  'Token消耗太大了，得换个便宜的模型',
  '這份資料很重要，請保存',
  'Meeting at 3pm tomorrow about the roadmap',
  '订单号 20240518 已发货',
  '今天好开心😀🎉',
  '你好，世界！',
  '天安 北京 安门',
  'ＦＵＬＬ　ｗｉｄｔｈ　１２３',
];

const find = (query: string) => CORPUS.filter((t) => matches(parseQuery(query), t));

describe('fold', () => {
  it('applies NFKC, lower case and Traditional -> Simplified one character at a time', () => {
    expect(fold('ＡＢＣ１２３')).toBe('abc123');
    expect(fold('Token')).toBe('token');
    expect(fold('這份資料')).toBe('这份资料');
    expect(fold('臺灣')).toBe('台湾');
    // Compatibility ideographs fold to the unified ones (NFKC).
    expect(fold('\uf900')).toBe(fold('豈'));
    // Every character folds alone: a text and each of its pieces agree.
    const t = '後來發現頭髮很乾';
    expect([...t].map(fold).join('')).toBe(fold(t));
  });
});

describe('index tokens', () => {
  it('indexes CJK runs as characters and pairs, words whole, and drops emoji and punctuation', () => {
    expect(indexTokens('公园散步').sort()).toEqual(['公', '公园', '园', '园散', '散', '散步', '步'].sort());
    expect(indexTokens('Token消耗').sort()).toEqual(['token', '消', '消耗', '耗'].sort());
    expect(indexTokens('😀🎉!!! ...')).toEqual([]);
    expect(indexTokens('a a a')).toEqual(['a']);
  });

  it('cuts very long words to a bounded token', () => {
    const long = 'x'.repeat(100);
    expect(indexTokens(long)).toEqual(['x'.repeat(WORD_TOKEN_MAX)]);
  });
});

describe('queries against the corpus', () => {
  it('finds 1-, 2- and 3+-character Chinese anywhere in a sentence', () => {
    expect(find('园')).toEqual([CORPUS[0]]);
    expect(find('公园')).toEqual([CORPUS[0]]);
    expect(find('去公园散步')).toEqual([CORPUS[0]]);
    expect(find('周末')).toEqual([CORPUS[0]]);
  });

  it('finds mixed Latin and Chinese, case-insensitively', () => {
    expect(find('Token消耗')).toEqual([CORPUS[1]]);
    expect(find('TOKEN')).toEqual([CORPUS[1]]);
    expect(find('消耗')).toEqual([CORPUS[1]]);
  });

  it('folds Traditional and Simplified both ways', () => {
    expect(find('资料')).toEqual([CORPUS[2]]);
    expect(find('資料')).toEqual([CORPUS[2]]);
    expect(find('请保存')).toEqual([CORPUS[2]]);
  });

  it('matches English words by prefix, never inside a word', () => {
    expect(find('meet')).toEqual([CORPUS[3]]);
    expect(find('road')).toEqual([CORPUS[3]]);
    expect(find('tomorrow meet')).toEqual([CORPUS[3]]);
    expect(find('map')).toEqual([]);
    expect(find('3pm')).toEqual([CORPUS[3]]);
  });

  it('matches numbers as words by prefix', () => {
    expect(find('2024')).toEqual([CORPUS[4]]);
    expect(find('20240518')).toEqual([CORPUS[4]]);
    expect(find('0518')).toEqual([]);
    expect(find('１２３')).toEqual([CORPUS[8]]);
    expect(find('full WIDTH')).toEqual([CORPUS[8]]);
  });

  it('ignores emoji: an emoji-only query has nothing to look up and matches nothing', () => {
    const q = parseQuery('😀🎉');
    expect(q.runs).toEqual([]);
    expect(q.lookups).toEqual([]);
    expect(find('😀')).toEqual([]);
    expect(find('开心😀')).toEqual([CORPUS[5]]);
  });

  it('treats punctuation as a separator in both the query and the text', () => {
    expect(find('你好，世界')).toEqual([CORPUS[6]]);
    expect(find('你好世界')).toEqual([]);
    expect(find('!!!')).toEqual([]);
  });

  it('never reports a pair chain whose pairs are apart (no false positives)', () => {
    const q = parseQuery('天安门');
    expect(q.lookups).toEqual([{ exact: ['天安', '安门'], like: '天安门' }]);
    expect(find('天安门')).toEqual([]);
    expect(find('天安')).toEqual([CORPUS[7]]);
  });

  it('looks 1-2 character runs up as one exact token and words as a prefix', () => {
    expect(parseQuery('公').lookups).toEqual([{ exact: ['公'] }]);
    expect(parseQuery('公园').lookups).toEqual([{ exact: ['公园'] }]);
    expect(parseQuery('Token消耗 token').lookups).toEqual([{ prefix: 'token' }, { exact: ['消耗'] }]);
  });
});

describe('snippets', () => {
  it('marks the match on the original text, Traditional included', () => {
    const s = snippet(parseQuery('资料'), '這份資料很重要');
    expect(s.text).toBe('這份資料很重要');
    expect(s.ranges).toEqual([[2, 4]]);
  });

  it('marks word prefixes and keeps context around the first match of a long text', () => {
    const text = `${'很长的前文。'.repeat(30)}我们去公园散步吧${'后文'.repeat(50)}`;
    const s = snippet(parseQuery('公园'), text, 40);
    expect(s.text.startsWith('…')).toBe(true);
    expect(s.text.endsWith('…')).toBe(true);
    const [[a, b]] = s.ranges as [[number, number]];
    expect(s.text.slice(a, b)).toBe('公园');
    const w = snippet(parseQuery('meet'), 'Meeting at 3pm');
    expect(w.ranges).toEqual([[0, 4]]);
  });

  it('maps matches back through characters that NFKC expands', () => {
    const s = snippet(parseQuery('ＡＢ'), 'xx ＡＢＣ yy');
    expect(s.ranges).toEqual([[3, 5]]);
  });
});
