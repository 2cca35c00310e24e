import { cfg } from '../../kernel/config.js';

/** The auth module's settings (`auth.*`, MYCHAT_AUTH_*). */
export const authConfigSchema = cfg.group({
  /** Lifetime of an access token (JWT), seconds. */
  accessTokenTtlSeconds: cfg.int(600, 30, 86_400),
  /** Lifetime of a session's refresh token since its last use, days. */
  refreshTokenTtlDays: cfg.int(30, 1, 365),
  /** Lifetime of a verification code, seconds. */
  codeTtlSeconds: cfg.int(300, 1, 3600),
  /** Tries per code from one client IP; the next one is refused even when right. */
  codeMaxAttempts: cfg.int(5, 1, 20),
  /**
   * Tries per code from everyone together, so guesses spread over many IPs stay bounded;
   * tries refused by a per-IP limit do not count here.
   */
  codeMaxAttemptsTotal: cfg.int(20, 1, 1000),
  /** Code tries (Register, Login with a code, ResetPassword) from one client IP per hour. */
  codeTriesPerIpPerHour: cfg.int(60, 1, 1_000_000),
  /** Minimum time between two codes to one address, seconds. */
  sendCooldownSeconds: cfg.int(60, 0, 3600),
  /** Codes per address per hour. */
  sendPerDestinationPerHour: cfg.int(5, 1, 10_000),
  /** Codes requested from one IP per hour. */
  sendPerIpPerHour: cfg.int(30, 1, 1_000_000),
  /**
   * Password tries per address (Login) or per user (ChangePassword's old password) in one
   * window; beyond it every try, right or wrong, is refused until the window ends. A right
   * password gives back only its own try. Kept in SQL, so a pause survives a restart.
   */
  loginFailuresPerWindow: cfg.int(10, 1, 10_000),
  /** That window, seconds, counted from the first try. */
  loginFailureWindowSeconds: cfg.int(900, 1, 86_400),
  /**
   * How often the auth service checks that the kv still holds the session revocations
   * (it refills them from SQL when the kv lost them), ms. Authenticated calls answer
   * UNAVAILABLE for at most about this long after Redis restarts empty.
   */
  revocationCheckMs: cfg.int(1000, 100, 60_000),
  /** Login calls (password or code, any account) from one client IP per IP window. */
  loginPerIpPerWindow: cfg.int(60, 1, 1_000_000),
  /** That window, seconds. */
  loginIpWindowSeconds: cfg.int(600, 1, 86_400),
  /**
   * Login calls one client IP may have in flight in one auth process; more are refused at once
   * (RATE_LIMITED, retry after 1 s), so a burst from one address holds few hasher places.
   */
  loginInFlightPerIp: cfg.int(4, 1, 10_000),
  /** argon2 hashes computed at the same time (each holds a libuv thread and its memory). */
  hashConcurrency: cfg.int(2, 1, 64),
  /** Hashes that may wait for a slot; more are refused with UNAVAILABLE and a retry-after. */
  hashQueueMax: cfg.int(32, 0, 100_000),
  /** argon2id memory, KiB (OWASP: 19456). */
  argon2MemoryKib: cfg.int(19_456, 1024, 1_048_576),
  /** argon2id passes (OWASP: 2). */
  argon2TimeCost: cfg.int(2, 1, 10),
});
