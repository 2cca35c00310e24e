import { create } from '@bufbuild/protobuf';
import { gateway } from '@mychat/protocol';
import type { Bus } from '../../adapters/bus/bus.js';
import type { Kv } from '../../adapters/kv/kv.js';
import type { Clock } from '../../kernel/clock.js';
import type { Logger } from '../../kernel/logger.js';
import { pushToUsers } from '../../contracts/push-envelope.js';
import { serverFrame } from './ws-codec.js';

import { lastSeenKey, LAST_SEEN_TTL_MS, presenceKey } from '../../contracts/presence-keys.js';

export interface PresenceOptions {
  kv: Kv;
  bus: Bus;
  logger: Logger;
  clock: Clock;
  /**
   * This gateway process's lease name in each user's online marker: unique per start, so a
   * restarted gateway never inherits (or renews) the leases of the one that died.
   */
  instanceId: string;
  /** Who is told about the user's transitions (their friends); may throw. */
  audience(userId: string): Promise<readonly string[]>;
  /** Monotonic time, ms. */
  now(): number;
  /** TTL of this gateway's lease in the online marker (the heartbeat timeout). */
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
 * The marker is a lease set of the gateways holding the user (kv `leaseAdd`), so one device
 * leaving gateway A does not mark the user offline while another is on gateway B: a
 * transition is announced only when the set goes from empty to one member or back to empty.
 * Each gateway's lease expires unless renewed, so a gateway that dies (SIGKILL) stops
 * counting within the TTL even while other gateways keep renewing theirs; a shared counter
 * would keep the dead gateway's +1 alive for as long as anyone refreshed the key, and the
 * user's offline would never be announced. Offline waits `debounceMs`, so a quick
 * reconnect (network switch, page reload) announces nothing. Kv operations for one user
 * run one after another, so a reconnect never races the offline it cancelled.
 */
export class PresenceTracker {
  private readonly tracked = new Map<string, Tracked>();
  private readonly chains = new Map<string, Promise<void>>();
  /**
   * Users who left here while another lease still held them: when that lease belonged to a
   * gateway that died, nobody else will announce their offline, so it is checked again once
   * such a lease must have expired. userId -> [monotonic due time, epoch ms they left].
   */
  private readonly rechecks = new Map<string, [number, number]>();

  constructor(private readonly o: PresenceOptions) {}

  /** A socket of the user is open here. */
  online(userId: string): void {
    this.rechecks.delete(userId);
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
    for (const [userId, [due, leftAt]] of this.rechecks) {
      if (now < due) continue;
      this.rechecks.delete(userId);
      this.run(userId, () => this.recheck(userId, leftAt));
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
    this.rechecks.clear();
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
    const n = await this.o.kv.leaseAdd(presenceKey(userId), this.o.instanceId, this.o.ttlMs);
    if (n === 1) await this.announce(userId, true, 0);
  }

  private async refresh(userId: string): Promise<void> {
    // Renews our lease, or recreates it when it vanished (kv restarted, or we stalled past
    // the TTL): silently, as nobody was told the user went offline.
    await this.o.kv.leaseAdd(presenceKey(userId), this.o.instanceId, this.o.ttlMs);
  }

  private async goOffline(userId: string, announce: boolean): Promise<void> {
    const n = await this.o.kv.leaseRemove(presenceKey(userId), this.o.instanceId);
    const lastSeen = this.o.clock.now();
    if (n > 0) {
      // Still held elsewhere: that gateway announces, unless it died holding the lease.
      if (announce && !this.tracked.has(userId))
        this.rechecks.set(userId, [this.o.now() + this.o.ttlMs + this.o.refreshMs, lastSeen]);
      return;
    }
    await this.o.kv.set(lastSeenKey(userId), String(lastSeen), { ttlMs: LAST_SEEN_TTL_MS });
    if (announce) await this.announce(userId, false, lastSeen);
  }

  /** The user left here while held elsewhere; announce offline if nobody holds them now and nobody has. */
  private async recheck(userId: string, leftAt: number): Promise<void> {
    if (this.tracked.has(userId)) return;
    if ((await this.o.kv.leaseCount(presenceKey(userId))) > 0) return;
    // A later last-seen means the gateway that held the user last has announced it.
    if (Number(await this.o.kv.get(lastSeenKey(userId))) >= leftAt) return;
    await this.o.kv.set(lastSeenKey(userId), String(leftAt), { ttlMs: LAST_SEEN_TTL_MS });
    await this.announce(userId, false, leftAt);
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
