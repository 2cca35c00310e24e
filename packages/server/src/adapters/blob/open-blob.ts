import { randomBytes } from 'node:crypto';
import type { BlobStore } from './blob.js';

/** The path the gateway serves disk-store signed URLs under. */
export const BLOB_URL_PREFIX = '/media/v1/blob/';

export interface OpenBlobOptions {
  /** `disk` (embedded) or `s3`. */
  backend: 'disk' | 's3';
  /** Disk: the root directory. */
  dir: string;
  /** Disk: HMAC key for signed URLs; a random one (URLs die with the process) when absent. */
  signingKey?: Buffer;
  s3?: {
    bucket: string;
    region: string;
    endpoint?: string;
    accessKeyId?: string;
    secretAccessKey?: string;
    forcePathStyle: boolean;
    prefix?: string;
  };
  now?: () => number;
}

/** Opens the blob port on the configured backend; the S3 SDK is loaded only when used. */
export async function openBlob(o: OpenBlobOptions): Promise<BlobStore> {
  if (o.backend === 's3') {
    if (!o.s3?.bucket) throw new Error('blob.backend=s3 needs blob.s3Bucket');
    const { S3BlobStore } = await import('./s3.blob.js');
    return new S3BlobStore(o.s3);
  }
  const { DiskBlobStore } = await import('./disk.blob.js');
  return new DiskBlobStore({
    dir: o.dir,
    signingKey: o.signingKey ?? randomBytes(32),
    urlPrefix: BLOB_URL_PREFIX,
    ...(o.now && { now: o.now }),
  });
}
