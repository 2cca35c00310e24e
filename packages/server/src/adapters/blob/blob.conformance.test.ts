import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { manualClock } from '../../kernel/clock.js';
import { startS3rver } from '../../../test/helpers/s3rver.js';
import { BlobNotFoundError, checkKey, readAll, type BlobStore } from './blob.js';
import { openBlob } from './open-blob.js';

interface BlobBackend {
  name: string;
  open(): Promise<{ store: BlobStore; cleanup(): Promise<void> }>;
}

const tmpDir = () => fs.mkdtempSync(path.join(os.tmpdir(), 'mychat-blob-'));

/** The one suite every blob backend must pass. */
function blobConformance(backend: BlobBackend): void {
  describe(`blob store: ${backend.name}`, () => {
    let store: BlobStore;
    let cleanup: () => Promise<void>;
    const scratch = tmpDir();
    beforeAll(async () => {
      ({ store, cleanup } = await backend.open());
    });
    afterAll(async () => {
      await cleanup?.();
      fs.rmSync(scratch, { recursive: true, force: true });
    });

    it('stores a buffer and reads it back with its type and size', async () => {
      const bytes = randomBytes(10_000);
      const put = await store.put('t/a/one.bin', bytes, { contentType: 'image/png' });
      expect(put).toEqual({ size: 10_000, contentType: 'image/png' });
      expect(await store.stat('t/a/one.bin')).toEqual({ size: 10_000, contentType: 'image/png' });
      expect((await readAll(await store.get('t/a/one.bin'))).equals(bytes)).toBe(true);
    });

    it('stores a local file and downloads it to another', async () => {
      const src = path.join(scratch, 'src.bin');
      const bytes = randomBytes(300_000);
      fs.writeFileSync(src, bytes);
      await store.put('t/file.bin', { file: src });
      const dst = path.join(scratch, 'dst.bin');
      await store.download('t/file.bin', dst);
      expect(fs.readFileSync(dst).equals(bytes)).toBe(true);
      expect((await store.stat('t/file.bin'))?.contentType).toBe('application/octet-stream');
    });

    it('copies an object with its type; a missing source is not found', async () => {
      const bytes = randomBytes(50_000);
      await store.put('t/copy/src.bin', bytes, { contentType: 'video/mp4' });
      expect(await store.copy('t/copy/src.bin', 't/copy/dst.bin')).toEqual({
        size: 50_000,
        contentType: 'video/mp4',
      });
      expect(await store.stat('t/copy/dst.bin')).toEqual({ size: 50_000, contentType: 'video/mp4' });
      expect((await readAll(await store.get('t/copy/dst.bin'))).equals(bytes)).toBe(true);
      await store.delete('t/copy/src.bin');
      expect((await readAll(await store.get('t/copy/dst.bin'))).equals(bytes)).toBe(true);
      await expect(store.copy('t/copy/none.bin', 't/copy/x.bin')).rejects.toBeInstanceOf(BlobNotFoundError);
      expect(await store.stat('t/copy/x.bin')).toBeUndefined();
      await expect(store.copy('t/copy/dst.bin', '../escape')).rejects.toThrow();
    });

    it('reads byte ranges, both ends inclusive', async () => {
      const bytes = Buffer.from('0123456789abcdef');
      await store.put('t/range.txt', bytes, { contentType: 'text/plain' });
      expect((await readAll(await store.get('t/range.txt', { start: 2, end: 5 }))).toString()).toBe('2345');
      expect((await readAll(await store.get('t/range.txt', { start: 15, end: 15 }))).toString()).toBe('f');
    });

    it('replaces an object written twice', async () => {
      await store.put('t/twice', Buffer.from('first'));
      await store.put('t/twice', Buffer.from('second!'), { contentType: 'text/plain' });
      expect((await readAll(await store.get('t/twice'))).toString()).toBe('second!');
      expect(await store.stat('t/twice')).toEqual({ size: 7, contentType: 'text/plain' });
    });

    it('reports absent objects and deletes idempotently', async () => {
      expect(await store.stat('t/never')).toBeUndefined();
      await expect(store.get('t/never')).rejects.toBeInstanceOf(BlobNotFoundError);
      await expect(store.download('t/never', path.join(scratch, 'x'))).rejects.toBeInstanceOf(
        BlobNotFoundError,
      );
      await store.put('t/gone', Buffer.from('x'));
      await store.delete('t/gone');
      await store.delete('t/gone');
      expect(await store.stat('t/gone')).toBeUndefined();
    });

    it('refuses keys that could leave the store', async () => {
      for (const bad of ['../etc/passwd', 't/../../x', '/abs', 't//x', 't/./x', '', 'a\\b', 't/x\n']) {
        await expect(store.put(bad, Buffer.from('x')), bad).rejects.toThrow(/invalid blob key/);
        await expect(store.get(bad), bad).rejects.toThrow(/invalid blob key/);
      }
    });

    it('signs a URL that names the key and expires', async () => {
      const url = await store.signedUrl('t/a/one.bin', {
        expiresInSeconds: 60,
        contentType: 'image/png',
        disposition: 'inline; filename="one.png"',
      });
      expect(url).toContain('t/a/one.bin');
      expect(url).toMatch(/[?&](sig|X-Amz-Signature)=/);
    });

    it('keeps many objects apart under concurrent writes', async () => {
      const items = Array.from({ length: 20 }, (_, i) => ({
        key: `t/many/${i}`,
        bytes: randomBytes(1000 + i),
      }));
      await Promise.all(items.map((x) => store.put(x.key, x.bytes)));
      for (const x of items) expect((await readAll(await store.get(x.key))).equals(x.bytes)).toBe(true);
    });
  });
}

blobConformance({
  name: 'disk',
  async open() {
    const dir = tmpDir();
    const store = await openBlob({ backend: 'disk', dir, signingKey: randomBytes(32) });
    return { store, cleanup: async () => fs.rmSync(dir, { recursive: true, force: true }) };
  },
});

blobConformance({
  name: 's3 (s3rver)',
  async open() {
    const s3 = await startS3rver();
    const store = await openBlob({
      backend: 's3',
      dir: '',
      s3: {
        bucket: s3.bucket,
        region: 'us-east-1',
        endpoint: s3.endpoint,
        accessKeyId: 'S3RVER',
        secretAccessKey: 'S3RVER',
        forcePathStyle: true,
        prefix: 'conf/',
      },
    });
    return {
      store,
      cleanup: async () => {
        await store.close();
        await s3.stop();
      },
    };
  },
});

// s3rver checks no signatures, so what a signature guarantees is tested on the disk store.
describe('disk signed URLs', () => {
  const dir = tmpDir();
  const clock = manualClock(1_700_000_000_000);
  const open = () => openBlob({ backend: 'disk', dir, signingKey: Buffer.alloc(32, 7), now: clock.now });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  const parse = (url: string) => {
    const u = new URL(url, 'http://x');
    return { key: decodeURIComponent(u.pathname.slice('/media/v1/blob/'.length)), q: u.searchParams };
  };
  const opts = { expiresInSeconds: 30, contentType: 'image/webp', disposition: 'inline; filename="a.webp"' };

  it('verifies its own URL and returns what to serve', async () => {
    const store = await open();
    const { key, q } = parse(await store.signedUrl('m/1/thumb.webp', opts));
    expect(key).toBe('m/1/thumb.webp');
    expect(store.verifier!.verify(key, q)).toEqual({
      ok: true,
      contentType: 'image/webp',
      disposition: 'inline; filename="a.webp"',
    });
  });

  it('refuses an expired URL', async () => {
    const store = await open();
    const { key, q } = parse(await store.signedUrl('m/1/thumb.webp', opts));
    clock.advance(31_000);
    expect(store.verifier!.verify(key, q)).toEqual({ ok: false, reason: 'expired' });
  });

  it('refuses a URL whose key, expiry, type, disposition or signature was changed', async () => {
    const store = await open();
    const { key, q } = parse(await store.signedUrl('m/1/thumb.webp', opts));
    const tamper = (name: string, value: string) => {
      const t = new URLSearchParams(q);
      t.set(name, value);
      return store.verifier!.verify(key, t);
    };
    expect(store.verifier!.verify('m/2/thumb.webp', q)).toEqual({ ok: false, reason: 'bad_signature' });
    expect(tamper('exp', String(Number(q.get('exp')) + 3600))).toEqual({
      ok: false,
      reason: 'bad_signature',
    });
    expect(tamper('ct', 'text/html')).toEqual({ ok: false, reason: 'bad_signature' });
    expect(tamper('cd', 'inline')).toEqual({ ok: false, reason: 'bad_signature' });
    expect(tamper('sig', 'A'.repeat(43))).toEqual({ ok: false, reason: 'bad_signature' });
  });

  it('refuses a URL signed with another key', async () => {
    const other = await openBlob({ backend: 'disk', dir, signingKey: Buffer.alloc(32, 8), now: clock.now });
    const { key, q } = parse(await other.signedUrl('m/1/thumb.webp', opts));
    expect((await open()).verifier!.verify(key, q)).toEqual({ ok: false, reason: 'bad_signature' });
  });
});

describe('checkKey', () => {
  it('accepts server-made keys', () => {
    expect(checkKey('media/123/original')).toBe('media/123/original');
    expect(checkKey('staging/abc-def_1.bin')).toBe('staging/abc-def_1.bin');
  });
});
