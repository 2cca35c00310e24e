import { describe, expect, it } from 'vitest';
import { hitCount, markName } from './mark.js';

describe('markName', () => {
  it('marks every occurrence, ignoring case', () => {
    expect(markName('Bob and BOB', 'bob')).toEqual([
      { start: 0, end: 3 },
      { start: 8, end: 11 },
    ]);
    expect(markName('周末爬山群', '爬山')).toEqual([{ start: 2, end: 4 }]);
  });

  it('marks nothing for a pinyin match, an empty query or a name lower case would reshape', () => {
    expect(markName('张三', 'zs')).toEqual([]);
    expect(markName('张三', '  ')).toEqual([]);
    expect(markName('İstanbul', 'i')).toEqual([]);
  });
});

describe('hitCount', () => {
  it('shows a capped count as "99+" and any other as it is', () => {
    expect(hitCount({ count: 99, capped: true })).toBe('99+');
    expect(hitCount({ count: 99 })).toBe('99');
    expect(hitCount({ count: 3, capped: false })).toBe('3');
  });
});
