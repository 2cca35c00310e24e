import { describe, expect, it } from 'vitest';
import { matchName, nameQuery } from './search.names.js';

const m = (q: string, name: string) => matchName(nameQuery(q), name);

describe('name matching with pinyin', () => {
  it('finds 张三 by initials, full spelling and a mix, in any case', () => {
    expect(m('zs', '张三')).toBe('pinyin');
    expect(m('zhangsan', '张三')).toBe('pinyin');
    expect(m('zhangs', '张三')).toBe('pinyin');
    expect(m('ZS', '张三')).toBe('pinyin');
    expect(m('zhang san', '张三')).toBe('pinyin');
  });

  it('finds a part of a name, and Traditional names by Simplified text and pinyin', () => {
    expect(m('三', '张三')).toBe('text');
    expect(m('张', '張三')).toBe('text');
    expect(m('zs', '張三')).toBe('pinyin');
    expect(m('xiaolong', '李小龙')).toBe('pinyin');
  });

  it('knows polyphonic surnames and Latin names', () => {
    expect(m('shan', '单田芳')).toBeDefined();
    expect(m('ali', 'Alice王')).toBe('text');
    expect(m('wang', 'Alice王')).toBe('pinyin');
  });

  it('does not match what is not there', () => {
    expect(m('an', '张三')).toBeUndefined();
    expect(m('ls', '张三')).toBeUndefined();
    expect(m('李', '张三')).toBeUndefined();
    expect(m('', '张三')).toBeUndefined();
    expect(m('😀', '张三')).toBeUndefined();
    expect(m('zs', '')).toBeUndefined();
  });
});
