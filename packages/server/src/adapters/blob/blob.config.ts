import { cfg } from '../../kernel/config.js';

/** The blob store's settings (`blob.*`, MYCHAT_BLOB_*). */
export const blobConfigSchema = cfg.group({
  /** `disk` (embedded: files under `dir`, URLs signed by the gateway) or `s3` (S3-compatible). */
  backend: cfg.enum(['disk', 's3'], 'disk'),
  /** Disk: root directory, relative to dataDir. A split deployment on disk needs it shared. */
  dir: cfg.str('blobs'),
  /** Disk: HMAC key for download URLs; when unset it is read from (or generated into) signingSecretFile. */
  signingSecret: cfg.optStr(),
  signingSecretFile: cfg.str('blob-signing-key'),
  /** S3: the bucket (must exist). */
  s3Bucket: cfg.optStr(),
  s3Region: cfg.str('us-east-1'),
  /** S3: endpoint for MinIO or another S3-compatible service (`http://minio:9000`); unset for AWS. */
  s3Endpoint: cfg.optStr(),
  /** S3: credentials; when unset the AWS SDK's default chain is used (env, instance role). */
  s3AccessKeyId: cfg.optStr(),
  s3SecretAccessKey: cfg.optStr(),
  /** S3: path-style URLs, which MinIO needs. */
  s3ForcePathStyle: cfg.bool(true),
  /** S3: prefix of every key, so deployments can share a bucket. */
  s3Prefix: cfg.str(''),
});
