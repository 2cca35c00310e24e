import { cfg } from '../../kernel/config.js';

/** The WebSocket gateway's settings (`ws.*`, MYCHAT_WS_*). */
export const wsConfigSchema = cfg.group({
  /**
   * Origins allowed to open /ws from a browser, e.g. `https://chat.example.com`. The page's
   * own origin (same host as the request) is always allowed; a request without an Origin
   * header (native apps, bots) is allowed.
   */
  allowedOrigins: cfg.list([]),
  /** Time to send the Auth frame after connecting, ms. */
  authTimeoutMs: cfg.int(10_000, 100, 120_000),
  /** How often clients should ping, ms. */
  heartbeatIntervalMs: cfg.int(30_000, 100, 600_000),
  /** Silence after which a socket is closed (4408), ms. */
  heartbeatTimeoutMs: cfg.int(90_000, 300, 1_800_000),
  /** Largest frame a client may send, bytes (bigger closes with 1009). */
  maxFrameBytes: cfg.int(64 * 1024, 1024, 16 * 1024 * 1024),
  /** Bytes queued to one socket before it counts as a slow consumer and is closed (4429). */
  maxQueuedBytes: cfg.int(4 * 1024 * 1024, 16 * 1024, 1024 * 1024 * 1024),
  /** Delay before an offline transition is announced (a quick reconnect announces nothing), ms. */
  presenceDebounceMs: cfg.int(3_000, 0, 600_000),
  /**
   * Sockets allowed to be connected but not yet authenticated at once; more get HTTP 503
   * at the upgrade, so a flood of idle connections cannot exhaust the gateway.
   */
  maxPendingSockets: cfg.int(10_000, 1, 1_000_000),
  /**
   * The share of `maxPendingSockets` one client address may hold; more get HTTP 429 at the
   * upgrade, so one source cannot keep everyone else out. The address is the peer's, or
   * the forwarded one when the peer is in `http.trustedProxies`: behind a proxy not listed, every
   * client shares the proxy's address and this share.
   */
  maxPendingSocketsPerIp: cfg.int(256, 1, 1_000_000),
  /**
   * Open sockets one session (one login on one device) may have on this gateway. Over it,
   * the session's oldest socket is closed with 4430.
   */
  maxSocketsPerSession: cfg.int(8, 1, 10_000),
  /** Open sockets one account may have on this gateway, all sessions; over it, the oldest gets 4430. */
  maxSocketsPerUser: cfg.int(32, 1, 100_000),
  /**
   * Reads one account may make per second on this gateway, its sockets and HTTP together:
   * sync, history and ping frames, and the Sync and GetHistory RPCs. Beyond the burst,
   * RATE_LIMITED with retry_after_seconds.
   */
  readRatePerSecond: cfg.int(20, 1, 1_000_000),
  /** Reads one account may make at once above the rate (a client catching up after a reconnect). */
  readBurst: cfg.int(200, 1, 1_000_000),
  /** On SIGTERM: how long to wait for clients to leave after telling them to reconnect, ms. */
  drainTimeoutMs: cfg.int(5_000, 0, 120_000),
});
