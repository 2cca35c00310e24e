import type { Bus, BusSubscription } from '../../adapters/bus/bus.js';
import { userChannel } from '../../contracts/push-envelope.js';
import { isId } from '../../kernel/ids.js';
import type { Logger } from '../../kernel/logger.js';
import type { PushRepository } from './push.repository.js';
import { PUSH_SUBSCRIBED_CHANNEL } from './push.service.js';

/** One bus message on a user's channel: the PushEnvelope as published, undecoded. */
export interface Delivery {
  userId: string;
  envelope: Uint8Array;
}

/**
 * The push sender listens on the bus channel of every user who has a subscription: the same
 * push envelopes the gateways forward to sockets (new messages, contact events, own reads).
 * Nothing on the send path changes or waits: a publish reaches this listener as it reaches a
 * gateway. Users are added when a subscription is announced on `push:subscribed`, and by a
 * rescan of the table (at start, every `rescanMs`, and after the bus comes back).
 */
export class UserChannels {
  private readonly subs = new Map<string, Promise<BusSubscription | undefined>>();
  private lastId = '0';
  private timer: NodeJS.Timeout | undefined;
  private announced: BusSubscription | undefined;

  constructor(
    private readonly d: {
      bus: Bus;
      repo: PushRepository;
      logger: Logger;
      onDelivery: (d: Delivery) => void;
      rescanMs: number;
    },
  ) {}

  async start(): Promise<void> {
    this.announced = await this.d.bus.subscribe(PUSH_SUBSCRIBED_CHANNEL, (p) => {
      void this.ensure(Buffer.from(p).toString('utf8'));
    });
    this.d.bus.onResume(() => void this.rescan());
    await this.rescan();
    this.timer = setInterval(() => void this.rescan(), this.d.rescanMs);
    this.timer.unref();
  }

  /** Listens on `userId`'s channel (once). */
  ensure(userId: string): Promise<unknown> {
    if (!isId(userId)) return Promise.resolve();
    let sub = this.subs.get(userId);
    if (!sub) {
      sub = this.d.bus
        .subscribe(userChannel(userId), (envelope) => this.d.onDelivery({ userId, envelope }))
        .catch((err: unknown) => {
          this.d.logger.warn({ err, user_id: userId }, 'could not listen for pushes of a user');
          this.subs.delete(userId);
          return undefined;
        });
      this.subs.set(userId, sub);
    }
    return sub;
  }

  /** Stops listening on a user's channel (their last subscription went). */
  async drop(userId: string): Promise<void> {
    const sub = this.subs.get(userId);
    this.subs.delete(userId);
    await (await sub)?.unsubscribe();
  }

  listening(userId: string): boolean {
    return this.subs.has(userId);
  }

  /** Reads subscriptions added since the last scan and listens for their users. */
  async rescan(): Promise<void> {
    try {
      for (;;) {
        const page = await this.d.repo.subscribedUsersAfter(this.lastId);
        await Promise.all(page.userIds.map((u) => this.ensure(u)));
        if (page.lastId === this.lastId) return;
        this.lastId = page.lastId;
      }
    } catch (err) {
      this.d.logger.warn({ err }, 'push subscription scan failed');
    }
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.announced?.unsubscribe();
    const all = [...this.subs.values()];
    this.subs.clear();
    await Promise.all(all.map(async (s) => (await s)?.unsubscribe()));
  }
}
