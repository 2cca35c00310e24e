import { create } from '@bufbuild/protobuf';
import { gateway } from '@mychat/protocol';
import type { Bus } from '../../adapters/bus/bus.js';
import type { Kv } from '../../adapters/kv/kv.js';
import type { Clock } from '../../kernel/clock.js';
import type { Logger } from '../../kernel/logger.js';
import { pushToUsers } from '../../shared/push.js';
import { serverFrame } from './ws-codec.js';

export { lastSeenKey, LAST_SEEN_TTL_MS, presenceKey, presenceOf } from '../../shared/presence.js';
import { lastSeenKey, LAST_SEEN_TTL_MS, presenceKey } from '../../shared/presence.js';

export interface PresenceOptions {
  kv: Kv;
  bus: Bus;
  logger: Logger;
  clock: Clock;
  /** Who is told about the user's transitions (their friends); may throw. */
  audience(userId: string): Promise<readonly string[]>;
  /** Monotonic time, ms. */
  now(): number;
  /** TTL of the online marker (the heartbeat timeout). */
  ttlMs: number;
  /** How often the marker's TTL is renewed while the user has sockets here. */
  refreshMs: number;
  /** How long the last socket must stay gone before offline is announced. */
  debounceMs: number;
}

interface Tracked {
  /** Monotonic ms after which an offline transition is due; 0 while the user has sockets. */
  offlineAt: number;
  refreshedAt: number;
}

/**
 * Online/offline transitions of the users on this gateway, told to their friends.
 *
 * The marker is a counter of gateways holding the user, so one device leaving gateway A
 * does not mark the user offline while another is on gateway B: a transition is announced
 * only when the counter goes 0 -> 1 or back to 0. Offline waits `debounceMs`, so a quick
 * reconnect (network switch, page reload) announces nothing. Kv operations for one user
 * run one after another, so a reconnect never races the offline it cancelled.
 */
export class PresenceTracker {
  private readonly tracked = new Map<string, Tracked>();
  private readonly chains = new Map<string, Promise<void>>();

  constructor(private readonly o: PresenceOptions) {}

  /** A socket of the user is open here. */
  online(userId: string): void {
    const t = this.tracked.get(userId);
    if (t) {
      t.offlineAt = 0; // back within the debounce: nothing to announce
      return;
    }
    this.tracked.set(userId, { offlineAt: 0, refreshedAt: this.o.now() });
    this.run(userId, () => this.goOnline(userId));
  }

  /** The user's last socket here closed. */
  offline(userId: string): void {
    const t = this.tracked.get(userId);
    if (t) t.offlineAt = this.o.now() + this.o.debounceMs;
  }

  /** Due offline transitions and marker refreshes; called by the gateway's sweep. */
  tick(now: number): void {
    for (const [userId, t] of this.tracked) {
      if (t.offlineAt) {
        if (now < t.offlineAt) continue;
        this.tracked.delete(userId);
        this.run(userId, () => this.goOffline(userId, true));
      } else if (now - t.refreshedAt >= this.o.refreshMs) {
        t.refreshedAt = now;
        this.run(userId, () => this.refresh(userId));
      }
    }
  }

  /**
   * Shutdown: uncounts every user held here, without announcing. Draining clients were
   * told to reconnect to another gateway; announcing offline then online again for each
   * of them would flood their friends on every deploy.
   */
  async flush(): Promise<void> {
    for (const userId of this.tracked.keys()) this.run(userId, () => this.goOffline(userId, false));
    this.tracked.clear();
    await Promise.all(this.chains.values());
  }

  private run(userId: string, op: () => Promise<void>): void {
    const next = (this.chains.get(userId) ?? Promise.resolve())
      .then(op)
      .catch((err: unknown) => this.o.logger.warn({ err, user_id: userId }, 'presence update failed'))
      .finally(() => {
        if (this.chains.get(userId) === next) this.chains.delete(userId);
      });
    this.chains.set(userId, next);
  }

  private async goOnline(userId: string): Promise<void> {
    const key = presenceKey(userId);
    const n = await this.o.kv.incr(key, { ttlMs: this.o.ttlMs });
    // incr sets the TTL only when it creates the key; another gateway's count needs renewing.
    if (n > 1) await this.o.kv.expire(key, this.o.ttlMs);
    else if (n === 1) await this.announce(userId, true, 0);
  }

  private async refresh(userId: string): Promise<void> {
    const key = presenceKey(userId);
    // The marker vanished (kv restarted, or we stalled past the TTL): count us again,
    // silently, as nobody was told the user went offline.
    if (!(await this.o.kv.expire(key, this.o.ttlMs))) await this.o.kv.incr(key, { ttlMs: this.o.ttlMs });
  }

  private async goOffline(userId: string, announce: boolean): Promise<void> {
    const key = presenceKey(userId);
    // With a TTL so a decrement of an already expired marker cannot leave a stray -1 behind.
    const n = await this.o.kv.incr(key, { by: -1, ttlMs: this.o.ttlMs });
    if (n > 0) return;
    await this.o.kv.del(key);
    const lastSeen = this.o.clock.now();
    await this.o.kv.set(lastSeenKey(userId), String(lastSeen), { ttlMs: LAST_SEEN_TTL_MS });
    if (announce) await this.announce(userId, false, lastSeen);
  }

  private async announce(userId: string, online: boolean, lastSeenMs: number): Promise<void> {
    let audience: readonly string[];
    try {
      audience = await this.o.audience(userId);
    } catch (err) {
      // Presence is a hint: without the audience (contacts down) the transition goes untold.
      this.o.logger.warn({ err, user_id: userId }, 'presence audience unavailable; transition not announced');
      return;
    }
    if (audience.length === 0) return;
    const frame = serverFrame(0, {
      case: 'presence',
      value: create(gateway.PresenceEventSchema, { userId, online, lastSeenMs }),
    });
    await pushToUsers(this.o.bus, audience, frame);
  }
}
