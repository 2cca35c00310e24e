import { describe, expect, it } from 'vitest';
import { pageInOrder } from './rows.js';

describe('pageInOrder', () => {
  const rows = (seqs: number[]) => seqs.map((s) => [s, `id${s}`] as [number, string]);
  const seqs = (r: [number, string][]) => r.map((x) => x[0]);

  it('puts a history page in seq order whatever order SQLite aggregated it in', () => {
    expect(seqs(pageInOrder(rows([3, 1, 200, 2, 15]), true))).toEqual([1, 2, 3, 15, 200]);
    expect(seqs(pageInOrder(rows([3, 1, 200, 2, 15]), false))).toEqual([200, 15, 3, 2, 1]);
    expect(seqs(pageInOrder(rows([1, 2, 3]), false))).toEqual([3, 2, 1]);
    expect(pageInOrder(rows([7, 5]), true)[0]).toEqual([5, 'id5']);
    expect(pageInOrder([], true)).toEqual([]);
  });
});
