import { cfg } from '../../kernel/config.js';

const MiB = 1024 * 1024;

/** The media module's settings (`media.*`, MYCHAT_MEDIA_*). */
export const mediaConfigSchema = cfg.group({
  /** Largest image upload, bytes. */
  maxImageBytes: cfg.int(30 * MiB, 1024, 1024 * MiB),
  /** Largest voice upload (before transcoding), bytes. */
  maxVoiceBytes: cfg.int(10 * MiB, 1024, 1024 * MiB),
  /** Largest video upload, bytes. */
  maxVideoBytes: cfg.int(500 * MiB, 1024, 64 * 1024 * MiB),
  /** Largest file of any other type, bytes. */
  maxFileBytes: cfg.int(2048 * MiB, 1024, 64 * 1024 * MiB),
  /** Bytes each user may store (originals, de-duplicated per user). */
  quotaBytes: cfg.int(5 * 1024 * MiB, 0, Number.MAX_SAFE_INTEGER),
  /** Largest image in pixels (width x height x frames): refuses decompression bombs before decoding. */
  maxImagePixels: cfg.int(100_000_000, 1, 1_000_000_000),
  /** Longest voice message, seconds. */
  maxVoiceSeconds: cfg.int(60, 1, 3600),
  /** Longest video, seconds. */
  maxVideoSeconds: cfg.int(900, 1, 86_400),
  /** Longest song a listening room plays, seconds (its transcode reads it whole). */
  maxTrackSeconds: cfg.int(3600, 1, 86_400),
  /** Long side of image thumbnails, pixels. */
  thumbnailSize: cfg.int(480, 32, 4096),
  /** Voice messages are stored as Opus in Ogg at this bitrate, kbit/s. */
  voiceBitrateKbps: cfg.int(48, 6, 256),
  /** Lifetime of download URLs, seconds. */
  urlTtlSeconds: cfg.int(300, 10, 7 * 86_400),
  /** Accept Windows, Linux and macOS executables as plain files (never as images, voice or video). */
  allowExecutables: cfg.bool(false),
  /** Largest upload in one request (`POST /media/v1/upload`); larger ones use tus. */
  smallUploadMaxBytes: cfg.int(32 * MiB, 1024, 1024 * MiB),
  /** Uploads one user may start per minute, both paths together; more are refused with RATE_LIMITED. */
  uploadsPerMinute: cfg.int(60, 1, 1_000_000),
  /**
   * Unfinished resumable uploads one user may have at once; more are refused with
   * TOO_MANY_UPLOADS. Each holds its declared length against the quota until it finishes,
   * is deleted or expires.
   */
  maxOpenUploads: cfg.int(10, 1, 10_000),
  /** Unfinished resumable uploads are deleted after this many hours. */
  resumableExpiryHours: cfg.int(24, 1, 24 * 30),
  /**
   * Where gateways keep unfinished resumable (tus) uploads, relative to the data directory.
   * Gateways behind one load balancer must share it (one volume): a resumed upload may reach
   * any of them.
   */
  resumableDir: cfg.str('tus'),
  /** Uploads neither sent in a message nor kept in the drive are freed after this many hours. */
  orphanHours: cfg.int(24, 1, 24 * 365),
  /** Deadline of one ffmpeg or ffprobe run, seconds. */
  toolTimeoutSeconds: cfg.int(600, 5, 86_400),
});

/** The media settings as the code sees them. */
export type MediaConfig = ReturnType<(typeof mediaConfigSchema)['parse']>;

/** The worker module's settings (`worker.*`, MYCHAT_WORKER_*). */
export const workerConfigSchema = cfg.group({
  /** How often an idle worker looks for jobs, ms. */
  pollIntervalMs: cfg.int(500, 10, 60_000),
  /** Jobs one worker process runs at once. */
  concurrency: cfg.int(1, 1, 64),
  /** Tries per job before it fails for good. */
  maxAttempts: cfg.int(3, 1, 100),
  /** How long a claimed job is the claimer's; a job whose worker died is retried after it, seconds. */
  leaseSeconds: cfg.int(900, 5, 86_400),
});

/** The worker settings as the code sees them. */
export type WorkerConfig = ReturnType<(typeof workerConfigSchema)['parse']>;
