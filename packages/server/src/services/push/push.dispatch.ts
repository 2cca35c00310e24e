import type { Kv } from '../../adapters/kv/kv.js';
import type { Clock } from '../../kernel/clock.js';
import type { Logger } from '../../kernel/logger.js';
import { dndUntil } from './push.dnd.js';
import { encodePayload, type PushPayload } from './push.payload.js';
import type { PushRepository, SettingsRow, SubscriptionRow } from './push.repository.js';
import type { PushMetrics, PushOptions, PushSender } from './push.sender.js';

/** One notification for one user, to every device of theirs that rings. */
export interface Outgoing {
  userId: string;
  /** Topic header and held-push key: a newer push with it replaces an undelivered older one. */
  topic: string;
  payload: PushPayload;
  urgency: PushOptions['urgency'];
  settings: SettingsRow;
  /** When the event happened (latency is measured from it). */
  eventAt: number;
  /** A session not to push to (the device that caused it). */
  exceptSession?: string;
}

export interface DispatchDeps {
  repo: PushRepository;
  sender: PushSender;
  kv: Kv;
  clock: Clock;
  logger: Logger;
  metrics: PushMetrics;
  /** Which of these sessions are live (auth's LiveSessions). */
  liveSessions(ids: string[]): Promise<Set<string>>;
  /** A user has no subscription left: stop listening for them. */
  onNoSubscriptions(userId: string): void;
  ttlSeconds: number;
  perUserPerMinute: number;
  maxFailures: number;
}

/** The key that remembers a conversation was notified to a user (so a read elsewhere clears it). */
export const shownKey = (userId: string, convId: string) => `push:shown:${userId}:${convId}`;

/**
 * The last steps before a push leaves: do-not-disturb (held in SQL until the window ends),
 * the per-user rate cap, the session check (a device whose session ended never rings, even
 * if the notice of its end was lost), then one push per device, with 404/410 and refused
 * endpoints pruned.
 */
export class PushDispatch {
  private readonly okWritten = new Map<string, number>();

  constructor(private readonly d: DispatchDeps) {}

  async deliver(items: readonly Outgoing[]): Promise<void> {
    const now = this.d.clock.now();
    const ready: Outgoing[] = [];
    for (const it of items) {
      const clear = it.payload.kind === 'clear';
      const until = clear || it.urgency === 'high' ? undefined : dndUntil(it.settings, now);
      if (until !== undefined) {
        await this.d.repo.hold(
          {
            userId: it.userId,
            topic: it.topic,
            payload: encodePayload(it.payload),
            urgency: it.urgency,
            releaseAt: until,
          },
          now,
        );
        this.d.metrics.skipped.inc({ reason: 'dnd' });
        continue;
      }
      ready.push(it);
    }
    const capped = await Promise.all(
      ready.map((it) => (it.payload.kind === 'clear' ? false : this.overCap(it.userId, now))),
    );
    await this.send(ready.filter((_, i) => !capped[i]));
  }

  /** Sends held pushes whose time came (any sender may take each, once). */
  async releaseDue(): Promise<number> {
    const now = this.d.clock.now();
    let sent = 0;
    for (const h of await this.d.repo.due(now)) {
      if (!(await this.d.repo.take(h))) continue;
      const payload = JSON.parse(h.payload) as PushPayload;
      await this.send([
        {
          userId: h.userId,
          topic: h.topic,
          payload,
          urgency: h.urgency as Outgoing['urgency'],
          settings: { preview: false, dndEnabled: false, dndStart: 0, dndEnd: 0, timeZone: 'UTC' },
          eventAt: payload.at,
        },
      ]);
      sent++;
    }
    return sent;
  }

  private async overCap(userId: string, now: number): Promise<boolean> {
    const minute = Math.floor(now / 60_000);
    const n = await this.d.kv.incr(`push:rate:${userId}:${minute}`, { ttlMs: 61_000 });
    if (n <= this.d.perUserPerMinute) return false;
    this.d.metrics.skipped.inc({ reason: 'rate' });
    return true;
  }

  private async send(items: readonly Outgoing[]): Promise<void> {
    if (!items.length) return;
    const users = [...new Set(items.map((i) => i.userId))];
    const subs = await this.d.repo.byUsers(users);
    const live = await this.d.liveSessions([...new Set(subs.map((s) => s.sessionId))]);
    const dead = subs.filter((s) => !live.has(s.sessionId));
    if (dead.length) {
      await this.d.repo.deleteBySessions(dead.map((s) => s.sessionId));
      this.d.metrics.pruned.inc({ reason: 'session' }, dead.length);
    }
    const byUser = new Map<string, SubscriptionRow[]>();
    for (const s of subs)
      if (live.has(s.sessionId)) byUser.set(s.userId, [...(byUser.get(s.userId) ?? []), s]);
    for (const u of users) if (!byUser.has(u)) this.d.onNoSubscriptions(u);
    await Promise.all(
      items.map(async (it) => {
        const targets = (byUser.get(it.userId) ?? []).filter((s) => s.sessionId !== it.exceptSession);
        if (!targets.length) return;
        const body = encodePayload(it.payload);
        const results = await Promise.all(
          targets.map((s) =>
            this.one(s, body, { topic: it.topic, urgency: it.urgency, ttlSeconds: this.d.ttlSeconds }, it),
          ),
        );
        if (it.payload.kind === 'message' && results.includes(true) && it.payload.conversationId)
          await this.d.kv.set(shownKey(it.userId, it.payload.conversationId), '1', {
            ttlMs: this.d.ttlSeconds * 1000 || 1000,
          });
      }),
    );
  }

  private async one(s: SubscriptionRow, body: string, o: PushOptions, it: Outgoing): Promise<boolean> {
    let outcome;
    try {
      outcome = await this.d.sender.send(s, body, o);
    } catch (err) {
      this.d.logger.warn({ err, subscription_id: s.id }, 'push could not be sent');
      this.d.metrics.failed.inc({ reason: 'error' });
      return false;
    }
    const now = this.d.clock.now();
    switch (outcome) {
      case 'ok': {
        this.d.metrics.sent.inc({ kind: it.payload.kind });
        this.d.metrics.latency.observe(Math.max(0, now - it.eventAt) / 1000);
        // last_ok_at is for the device list: written at most hourly per subscription.
        if ((this.okWritten.get(s.id) ?? s.lastOkAt) < now - 3_600_000 || s.failures > 0) {
          this.okWritten.set(s.id, now);
          if (this.okWritten.size > 100_000) this.okWritten.clear();
          await this.d.repo.markOk(s.id, now);
        }
        return true;
      }
      case 'gone':
      case 'refused':
        await this.d.repo.deleteById(s.id);
        this.d.metrics.pruned.inc({ reason: outcome });
        this.d.logger.info(
          { subscription_id: s.id, user_id: s.userId, reason: outcome },
          'push subscription pruned',
        );
        return false;
      case 'failed':
        if ((await this.d.repo.markFailed(s.id)) >= this.d.maxFailures) {
          await this.d.repo.deleteById(s.id);
          this.d.metrics.pruned.inc({ reason: 'failures' });
        }
        return false;
    }
  }
}
