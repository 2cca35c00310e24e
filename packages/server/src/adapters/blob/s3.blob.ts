import fs from 'node:fs';
import fsp from 'node:fs/promises';
import { type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  CopyObjectCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import {
  BlobNotFoundError,
  checkKey,
  type BlobRange,
  type BlobStat,
  type BlobStore,
  type SignedUrlOptions,
} from './blob.js';

export interface S3BlobOptions {
  bucket: string;
  region: string;
  /** For MinIO, s3rver or another S3-compatible service; unset for AWS. */
  endpoint?: string;
  accessKeyId?: string;
  secretAccessKey?: string;
  /** Path-style URLs (`endpoint/bucket/key`), which MinIO and s3rver need. */
  forcePathStyle: boolean;
  /** Prepended to every key, so deployments can share a bucket. */
  prefix?: string;
}

const isNotFound = (e: unknown) => {
  const err = e as { name?: string; $metadata?: { httpStatusCode?: number } };
  return err.name === 'NoSuchKey' || err.name === 'NotFound' || err.$metadata?.httpStatusCode === 404;
};

/**
 * S3-compatible blob storage. Checksums are computed only when an operation requires one
 * (`WHEN_REQUIRED`): the SDK's default adds CRC32 headers that MinIO versions and
 * pre-signed URLs do not all accept. Downloads are pre-signed GETs that S3 serves directly,
 * with the Content-Type and Content-Disposition overridden through the signed query.
 */
export class S3BlobStore implements BlobStore {
  readonly backend = 's3' as const;
  private readonly s3: S3Client;

  constructor(private readonly o: S3BlobOptions) {
    this.s3 = new S3Client({
      region: o.region,
      ...(o.endpoint && { endpoint: o.endpoint }),
      forcePathStyle: o.forcePathStyle,
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      ...(o.accessKeyId &&
        o.secretAccessKey && {
          credentials: { accessKeyId: o.accessKeyId, secretAccessKey: o.secretAccessKey },
        }),
    });
  }

  private key(key: string): string {
    return (this.o.prefix ?? '') + checkKey(key);
  }

  async put(key: string, source: Buffer | { file: string }, opts: { contentType?: string } = {}) {
    const contentType = opts.contentType ?? 'application/octet-stream';
    const size = Buffer.isBuffer(source) ? source.length : (await fsp.stat(source.file)).size;
    await this.s3.send(
      new PutObjectCommand({
        Bucket: this.o.bucket,
        Key: this.key(key),
        Body: Buffer.isBuffer(source) ? source : fs.createReadStream(source.file),
        ContentLength: size,
        ContentType: contentType,
      }),
    );
    return { size, contentType };
  }

  async get(key: string, range?: BlobRange): Promise<Readable> {
    try {
      const res = await this.s3.send(
        new GetObjectCommand({
          Bucket: this.o.bucket,
          Key: this.key(key),
          ...(range && { Range: `bytes=${range.start}-${range.end}` }),
        }),
      );
      return res.Body as Readable;
    } catch (e) {
      if (isNotFound(e)) throw new BlobNotFoundError(key);
      throw e;
    }
  }

  async download(key: string, file: string): Promise<void> {
    await pipeline(await this.get(key), fs.createWriteStream(file));
  }

  async stat(key: string): Promise<BlobStat | undefined> {
    try {
      const res = await this.s3.send(new HeadObjectCommand({ Bucket: this.o.bucket, Key: this.key(key) }));
      return {
        size: Number(res.ContentLength ?? 0),
        contentType: res.ContentType ?? 'application/octet-stream',
      };
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
  }

  async copy(from: string, to: string): Promise<BlobStat> {
    const st = await this.stat(from);
    if (!st) throw new BlobNotFoundError(from);
    try {
      // Server-side: the bytes never pass through this process. The source key is a path of
      // letters, digits and `. _ - /` (checkKey), so it needs no escaping.
      await this.s3.send(
        new CopyObjectCommand({
          Bucket: this.o.bucket,
          Key: this.key(to),
          CopySource: `${this.o.bucket}/${this.key(from)}`,
          MetadataDirective: 'COPY',
        }),
      );
    } catch (e) {
      if (isNotFound(e)) throw new BlobNotFoundError(from);
      throw e;
    }
    return st;
  }

  async delete(key: string): Promise<void> {
    await this.s3.send(new DeleteObjectCommand({ Bucket: this.o.bucket, Key: this.key(key) }));
  }

  async signedUrl(key: string, o: SignedUrlOptions): Promise<string> {
    return getSignedUrl(
      this.s3,
      new GetObjectCommand({
        Bucket: this.o.bucket,
        Key: this.key(key),
        ResponseContentType: o.contentType,
        ResponseContentDisposition: o.disposition,
      }),
      { expiresIn: o.expiresInSeconds },
    );
  }

  async close(): Promise<void> {
    this.s3.destroy();
  }
}
