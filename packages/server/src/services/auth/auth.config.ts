import { cfg } from '../../kernel/config.js';

/** The auth module's settings (`auth.*`, MYCHAT_AUTH_*). */
export const authConfigSchema = cfg.group({
  /** Lifetime of an access token (JWT), seconds. */
  accessTokenTtlSeconds: cfg.int(600, 30, 86_400),
  /** Lifetime of a session's refresh token since its last use, days. */
  refreshTokenTtlDays: cfg.int(30, 1, 365),
  /** Lifetime of a verification code, seconds. */
  codeTtlSeconds: cfg.int(300, 1, 3600),
  /** Tries per code; the next one is refused even when right. */
  codeMaxAttempts: cfg.int(5, 1, 20),
  /** Minimum time between two codes to one address, seconds. */
  sendCooldownSeconds: cfg.int(60, 0, 3600),
  /** Codes per address per hour. */
  sendPerDestinationPerHour: cfg.int(5, 1, 10_000),
  /** Codes requested from one IP per hour. */
  sendPerIpPerHour: cfg.int(30, 1, 1_000_000),
  /** Failed password logins per address before logins are refused for the window. */
  loginFailuresPerWindow: cfg.int(10, 1, 10_000),
  loginFailureWindowSeconds: cfg.int(900, 1, 86_400),
  /**
   * How often the auth service checks that the kv still holds the session revocations
   * (it refills them from SQL when the kv lost them), ms. Authenticated calls answer
   * UNAVAILABLE for at most about this long after Redis restarts empty.
   */
  revocationCheckMs: cfg.int(1000, 100, 60_000),
  /** argon2id memory, KiB (OWASP: 19456). */
  argon2MemoryKib: cfg.int(19_456, 1024, 1_048_576),
  /** argon2id passes (OWASP: 2). */
  argon2TimeCost: cfg.int(2, 1, 10),
});
