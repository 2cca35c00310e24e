import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import {
  BlobNotFoundError,
  checkKey,
  type BlobRange,
  type BlobStat,
  type BlobStore,
  type SignedUrlOptions,
  type SignedUrlVerifier,
} from './blob.js';

export interface DiskBlobOptions {
  /** The store's root directory (created when missing). */
  dir: string;
  /** HMAC key for signed URLs (at least 32 bytes). */
  signingKey: Buffer;
  /** Path prefix of the gateway route that serves signed URLs. */
  urlPrefix: string;
  now?: () => number;
}

const isMissing = (e: unknown) => (e as NodeJS.ErrnoException).code === 'ENOENT';

/**
 * The embedded blob store: one file per object under `<dir>/objects`, its content type in
 * `<dir>/meta`. Writes go to a temp file renamed into place, so a reader never sees half an
 * object and a crash leaves at most a stray temp file.
 */
export class DiskBlobStore implements BlobStore {
  readonly backend = 'disk' as const;
  readonly verifier: SignedUrlVerifier;
  private readonly now: () => number;

  constructor(private readonly o: DiskBlobOptions) {
    if (o.signingKey.length < 32) throw new RangeError('the blob signing key needs at least 32 bytes');
    this.now = o.now ?? Date.now;
    // Uploads are private to their owners and who they sent them to: files 0600, folders 0700.
    for (const d of ['objects', 'meta', 'tmp'])
      fs.mkdirSync(path.join(o.dir, d), { recursive: true, mode: 0o700 });
    this.verifier = { prefix: o.urlPrefix, verify: (key, q) => this.verify(key, q) };
  }

  private file(key: string, area: 'objects' | 'meta' = 'objects'): string {
    return path.join(this.o.dir, area, ...checkKey(key).split('/')) + (area === 'meta' ? '.json' : '');
  }

  async put(key: string, source: Buffer | { file: string }, opts: { contentType?: string } = {}) {
    const target = this.file(key);
    const meta = this.file(key, 'meta');
    const tmp = path.join(this.o.dir, 'tmp', randomBytes(12).toString('hex'));
    try {
      if (Buffer.isBuffer(source)) await fsp.writeFile(tmp, source, { mode: 0o600 });
      // copyFile gives the copy the source's mode, whatever that was.
      else await fsp.copyFile(source.file, tmp).then(() => fsp.chmod(tmp, 0o600));
      const contentType = opts.contentType ?? 'application/octet-stream';
      await fsp.mkdir(path.dirname(target), { recursive: true, mode: 0o700 });
      await fsp.mkdir(path.dirname(meta), { recursive: true, mode: 0o700 });
      await fsp.writeFile(meta, JSON.stringify({ contentType }), { mode: 0o600 });
      await fsp.rename(tmp, target);
      return { size: (await fsp.stat(target)).size, contentType };
    } finally {
      await fsp.rm(tmp, { force: true });
    }
  }

  async get(key: string, range?: BlobRange): Promise<Readable> {
    const file = this.file(key);
    const handle = await fsp.open(file, 'r').catch((e: unknown) => {
      throw isMissing(e) ? new BlobNotFoundError(key) : e;
    });
    return handle.createReadStream(range ? { start: range.start, end: range.end } : {});
  }

  async download(key: string, file: string): Promise<void> {
    await fsp.copyFile(this.file(key), file).catch((e: unknown) => {
      throw isMissing(e) ? new BlobNotFoundError(key) : e;
    });
  }

  async stat(key: string): Promise<BlobStat | undefined> {
    try {
      const st = await fsp.stat(this.file(key));
      const meta = JSON.parse(await fsp.readFile(this.file(key, 'meta'), 'utf8').catch(() => '{}')) as {
        contentType?: string;
      };
      return { size: st.size, contentType: meta.contentType ?? 'application/octet-stream' };
    } catch (e) {
      if (isMissing(e)) return undefined;
      throw e;
    }
  }

  async copy(from: string, to: string): Promise<BlobStat> {
    const st = await this.stat(from);
    if (!st) throw new BlobNotFoundError(from);
    // Through put: a temp file renamed into place, so a reader never sees half a copy.
    return this.put(to, { file: this.file(from) }, { contentType: st.contentType }).catch((e: unknown) => {
      throw isMissing(e) ? new BlobNotFoundError(from) : e;
    });
  }

  async delete(key: string): Promise<void> {
    await fsp.rm(this.file(key), { force: true });
    await fsp.rm(this.file(key, 'meta'), { force: true });
  }

  async signedUrl(key: string, o: SignedUrlOptions): Promise<string> {
    checkKey(key);
    const exp = String(Math.floor(this.now() / 1000) + o.expiresInSeconds);
    const q = new URLSearchParams({ exp, ct: o.contentType, cd: o.disposition });
    q.set('sig', this.sign(key, exp, o.contentType, o.disposition));
    return `${this.o.urlPrefix}${key.split('/').map(encodeURIComponent).join('/')}?${q}`;
  }

  private sign(key: string, exp: string, ct: string, cd: string): string {
    return createHmac('sha256', this.o.signingKey).update(`${key}\n${exp}\n${ct}\n${cd}`).digest('base64url');
  }

  private verify(key: string, q: URLSearchParams): ReturnType<SignedUrlVerifier['verify']> {
    const [exp, ct, cd, sig] = ['exp', 'ct', 'cd', 'sig'].map((n) => q.get(n) ?? '');
    const want = Buffer.from(this.sign(key, exp!, ct!, cd!));
    const got = Buffer.from(sig!);
    if (!/^\d{1,12}$/.test(exp!) || got.length !== want.length || !timingSafeEqual(got, want)) {
      return { ok: false, reason: 'bad_signature' };
    }
    if (Number(exp) * 1000 < this.now()) return { ok: false, reason: 'expired' };
    return { ok: true, contentType: ct!, disposition: cd! };
  }

  async close(): Promise<void> {}
}
