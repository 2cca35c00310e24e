import { cfg } from '../../kernel/config.js';
import { cidrList } from '../../kernel/public-address.js';

/** The push module's settings (`push.*`, MYCHAT_PUSH_*). */
export const pushConfigSchema = cfg.group({
  /** Web Push on or off. Off: GetPushConfig says so and nothing is sent. */
  enabled: cfg.bool(true),
  /**
   * The VAPID key pair (P-256, PKCS#8 PEM), generated on first start when absent; relative to
   * dataDir. Every process that serves push or sends it must read the same file.
   */
  vapidKeyFile: cfg.str('vapid-p256.pem'),
  /**
   * The VAPID subject push services may contact about this server: a `mailto:` address or an
   * https URL (RFC 8292).
   */
  vapidSubject: cfg.str('mailto:admin@mychat.localhost'),
  /**
   * Addresses or CIDR blocks that push endpoints may resolve to although they are not public
   * (a push service on your own network, or a test's). Empty: only public addresses.
   */
  allowedPrivateEndpoints: cidrList(),
  /**
   * Extra CA certificates (PEM) trusted for push services, relative to dataDir: for a push
   * service of your own behind a private CA. Public push services need none.
   */
  caFile: cfg.optStr(),
  /** How long a push service keeps an undelivered push, seconds (the TTL header). */
  ttlSeconds: cfg.int(43_200, 0, 2_419_200),
  /** Pushes one user may get per minute, over all devices; more are dropped. */
  perUserPerMinute: cfg.int(30, 1, 10_000),
  /**
   * After a conversation's first push, further messages there wait this long and leave as one
   * ("Alice: 5 new messages"), seconds.
   */
  coalesceSeconds: cfg.int(10, 1, 3600),
  /** Longest wait for a push service's answer, ms. */
  timeoutMs: cfg.int(10_000, 100, 120_000),
  /** Pushes in flight at once per sending process. */
  concurrency: cfg.int(64, 1, 4096),
  /**
   * Threads that encrypt pushes beside the event loop of the process that fans them out (an
   * ECDH agreement and AES-GCM per subscription); 0 encrypts on the event loop.
   */
  encryptThreads: cfg.int(1, 0, 16),
  /** A subscription whose push service failed (not 404/410) this many times in a row is deleted. */
  maxFailures: cfg.int(20, 1, 100_000),
  /** How often held (do-not-disturb) pushes are looked at, seconds. */
  releaseIntervalSeconds: cfg.int(30, 1, 3600),
});

export type PushConfig = ReturnType<(typeof pushConfigSchema)['parse']>;
