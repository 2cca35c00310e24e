import type { Logger } from 'pino';
import type { Clock } from '../../kernel/clock.js';
import type { SessionRevocations } from '../../contracts/sessions.js';
import type { AuthRepository } from './auth.repository.js';

/**
 * Keeps the kv's revocation list whole. The kv forgets (the in-memory kv on every restart,
 * Redis when it restarts empty or is flushed), while SQL remembers when each session ended;
 * an access token outlives its session's end by at most its TTL, so the sessions ended
 * within the last TTL are all the list needs. They are copied back at start and whenever
 * the list's completeness marker is found missing; until then gateways answer UNAVAILABLE
 * for authenticated calls (see SessionRevocations.reason) instead of trusting a gap.
 */
export class RevocationRefill {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(
    private readonly d: {
      repo: AuthRepository;
      revocations: SessionRevocations;
      clock: Clock;
      logger: Logger;
    },
  ) {}

  /** Copies the recent revocations from SQL into the kv, then marks the list complete. */
  async refill(): Promise<number> {
    const now = this.d.clock.now();
    const ttlMs = this.d.revocations.ttlMs;
    const ended = await this.d.repo.revokedSince(now - ttlMs);
    for (const s of ended) {
      const left = s.revokedAt + ttlMs - now;
      if (left > 0) await this.d.revocations.revoke(s.id, s.reason, left);
    }
    await this.d.revocations.markComplete();
    return ended.length;
  }

  /** Checks the marker every `intervalMs` and refills when it is gone. */
  watch(intervalMs: number): void {
    this.timer = setInterval(() => {
      this.running ??= this.check().finally(() => (this.running = undefined));
    }, intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  private async check(): Promise<void> {
    try {
      if (await this.d.revocations.complete()) return;
      const n = await this.refill();
      this.d.logger.warn({ sessions: n }, 'kv had lost the session revocations; refilled them from SQL');
    } catch (err) {
      // The kv (or SQL) is unreachable: the next tick tries again.
      this.d.logger.warn({ err }, 'could not check the session revocations in the kv');
    }
  }
}
