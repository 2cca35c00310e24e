import type { Kv } from '../adapters/kv/kv.js';
import { AppError, ErrorCode } from '../kernel/errors.js';

/**
 * Set (without TTL) once the auth service has copied the recent revocations from SQL into
 * the kv. A kv that lost its contents (process restart on the memory kv, Redis restarted
 * empty or flushed) lost this key too, so its absence says the list is incomplete.
 */
const COMPLETE_KEY = 'auth:revocations-loaded';

/**
 * Sessions ended before their access tokens expire (logout, kick, password change).
 * The auth service writes, every gateway reads on each authenticated call, so an ended
 * session stops working at once everywhere. Entries live as long as an access token can;
 * SQL holds the durable record (auth_sessions.revoked_at), from which the auth service
 * refills the kv whenever the kv forgot (see auth.revocations.ts).
 */
export class SessionRevocations {
  constructor(
    private readonly kv: Kv,
    readonly ttlMs: number,
  ) {}

  async revoke(sessionId: string, reason: string, ttlMs = this.ttlMs): Promise<void> {
    await this.kv.set(`auth:revoked:${sessionId}`, reason, { ttlMs });
  }

  /**
   * Why the session was ended, or null while it is live. While the list is incomplete
   * (the kv was emptied and the auth service has not refilled it yet) no session can be
   * vouched for: UNAVAILABLE, which clients retry, rather than letting an ended one in.
   */
  async reason(sessionId: string): Promise<string | null> {
    // One round trip: both reads leave in the same pipeline.
    const [reason, complete] = await Promise.all([
      this.kv.get(`auth:revoked:${sessionId}`),
      this.kv.get(COMPLETE_KEY),
    ]);
    if (reason !== null) return reason;
    if (complete === null)
      throw new AppError(ErrorCode.UNAVAILABLE, 'session checks are being restored; retry shortly');
    return null;
  }

  /** Whether the kv holds every revocation (false after it lost its contents). */
  async complete(): Promise<boolean> {
    return (await this.kv.get(COMPLETE_KEY)) !== null;
  }

  /** Marks the list complete; called after a refill from SQL. */
  async markComplete(): Promise<void> {
    await this.kv.set(COMPLETE_KEY, '1');
  }
}
