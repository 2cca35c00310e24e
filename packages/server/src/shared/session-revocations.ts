import type { Kv } from '../adapters/kv/kv.js';

/**
 * The bus channel on which the auth service announces ended sessions (JSON
 * `{userId, sessionId, reason}`); gateways close those sessions' sockets.
 */
export const SESSION_ENDED_CHANNEL = 'auth:session-ended';

/**
 * Sessions ended before their access tokens expire (logout, kick, password change).
 * The auth service writes, every gateway reads on each authenticated call, so an ended
 * session stops working at once everywhere. Entries live as long as an access token can.
 */
export class SessionRevocations {
  constructor(
    private readonly kv: Kv,
    private readonly ttlMs: number,
  ) {}

  async revoke(sessionId: string, reason: string): Promise<void> {
    await this.kv.set(`auth:revoked:${sessionId}`, reason, { ttlMs: this.ttlMs });
  }

  /** Why the session was ended, or null while it is live. */
  reason(sessionId: string): Promise<string | null> {
    return this.kv.get(`auth:revoked:${sessionId}`);
  }
}
