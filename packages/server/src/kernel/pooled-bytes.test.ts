import { describe, expect, it } from 'vitest';
import { pooledBytes, pooledCopy } from './pooled-bytes.js';

describe('pooled bytes', () => {
  it('gives plain Uint8Arrays of the size asked, small ones sharing one block', () => {
    const a = pooledBytes(100);
    const b = pooledBytes(200);
    expect([a.constructor, a.length, b.length]).toEqual([Uint8Array, 100, 200]);
    expect(a.buffer).toBe(b.buffer);
    expect(pooledBytes(0).length).toBe(0);
    expect(pooledBytes(100_000).buffer.byteLength).toBeGreaterThanOrEqual(100_000);
  });

  it('copies: the copy keeps its bytes when the original changes, and writes stay in their slice', () => {
    const src = new Uint8Array([1, 2, 3]);
    const before = pooledBytes(4).fill(9);
    const copy = pooledCopy(src);
    const after = pooledBytes(4).fill(7);
    src[0] = 42;
    expect([...copy]).toEqual([1, 2, 3]);
    expect([...before, ...after]).toEqual([9, 9, 9, 9, 7, 7, 7, 7]);
  });
});
