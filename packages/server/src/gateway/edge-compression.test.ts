import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { edgeGzip, SYNC_GZIP_MAX_BYTES } from './edge-compression.js';

const bytes = (n: number) =>
  new Uint8Array(Buffer.from('a feed page with likes and comments '.repeat(n / 32 + 1)).subarray(0, n));

describe('the edge gzip', () => {
  it('compresses a small answer at once at level 1, and a large one as before; both gunzip back', async () => {
    for (const n of [2_000, SYNC_GZIP_MAX_BYTES, SYNC_GZIP_MAX_BYTES + 1, 300_000]) {
      const input = bytes(n);
      const out = await edgeGzip.compress(input);
      expect(out).toBeInstanceOf(Uint8Array);
      expect(out.byteLength).toBeLessThan(n);
      expect(gunzipSync(out).equals(input)).toBe(true);
      expect(Buffer.from(await edgeGzip.decompress(out, n)).equals(input)).toBe(true);
    }
  });

  it('answers gzip, and refuses a request body that inflates past the limit', async () => {
    expect(edgeGzip.name).toBe('gzip');
    const out = await edgeGzip.compress(bytes(10_000));
    await expect(edgeGzip.decompress(out, 1_000)).rejects.toThrow();
  });
});
