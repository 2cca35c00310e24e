import { create } from '@bufbuild/protobuf';
import { moments as pb } from '@mychat/protocol';
import type { Bus, BusSubscription } from '../../adapters/bus/bus.js';
import type { Clock } from '../../kernel/clock.js';
import type { Logger } from '../../kernel/logger.js';
import { FANOUT_CHANNEL, type Contacts, type MomentPush } from './moments.peers.js';
import { FILTER_HIDE_FROM, FILTER_MUTE } from './moments.people.repository.js';
import { ActiveReaders } from './moments.active-readers.js';
import { PointerWriter } from './moments.pointers.js';
import type { MomentsStore, OutboxJob } from './moments.repository.js';
import { audienceIncludes, rulesOf, windowStart } from './moments.visibility.js';

const DAY = 86_400_000;
/** How long a taken post is its worker's; a worker that died lets go after it. */
const LEASE_MS = 60_000;
/** The longest wait before a failed post is tried again. */
const MAX_BACKOFF_MS = 300_000;

export interface FanoutConfig {
  /** Readers idle this long get no pointers (they pull when they come back). */
  activeDays: number;
  /** Pointers per INSERT. */
  batchSize: number;
  /** Posts written out at once by this process. */
  concurrency: number;
  /** How often an idle worker looks for posts when no wake-up came, ms. */
  pollIntervalMs: number;
  /** Readers whose last feed read the worker keeps between posts (0: asks every time). */
  readerCacheSize: number;
}

export interface FanoutDeps {
  store: MomentsStore;
  contacts: Contacts;
  push: MomentPush;
  bus: Bus;
  clock: Clock;
  logger: Logger;
  config: FanoutConfig;
  /** Each post written out: seconds from publishing to its last pointer, and pointers written. */
  onFanout?(lagSeconds: number, pointers: number): void;
}

/**
 * The moments service's background half (it runs in the `worker` module, in any number of
 * processes): takes published posts from the outbox and writes a pointer into the timeline
 * of every friend in the audience who read their feed within `activeDays`, in batches; then
 * hints every friend in the audience who is online (the red dot). Those skipped, and friends
 * made later, get the post by pulling when they read (see Timeline).
 */
export class MomentsFanout {
  private running = false;
  private readonly loops: Promise<void>[] = [];
  private readonly sleepers = new Set<() => void>();
  private sub: BusSubscription | undefined;
  private readonly pointers: PointerWriter;
  private readonly readers: ActiveReaders;

  constructor(private readonly d: FanoutDeps) {
    this.pointers = new PointerWriter(d.store.db, d.store.engine, d.config.batchSize);
    this.readers = new ActiveReaders(d.store, d.config.readerCacheSize);
  }

  async start(): Promise<void> {
    this.running = true;
    this.sub = await this.d.bus.subscribe(FANOUT_CHANNEL, () => this.wakeAll());
    for (let i = 0; i < this.d.config.concurrency; i++) this.loops.push(this.loop());
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wakeAll();
    await this.sub?.unsubscribe();
    await Promise.all(this.loops);
    await this.d.push.flush();
  }

  private wakeAll(): void {
    for (const wake of [...this.sleepers]) wake();
  }

  private async loop(): Promise<void> {
    while (this.running) {
      let worked = false;
      try {
        worked = await this.runOnce();
      } catch (err) {
        this.d.logger.error({ err }, 'moments fan-out loop failed');
      }
      if (!worked && this.running) {
        await new Promise<void>((resolve) => {
          const done = () => {
            clearTimeout(t);
            this.sleepers.delete(done);
            resolve();
          };
          const t = setTimeout(done, this.d.config.pollIntervalMs);
          this.sleepers.add(done);
        });
      }
    }
  }

  /** Takes and writes out one post; false when none was due. */
  async runOnce(): Promise<boolean> {
    const { store, clock } = this.d;
    const job = await store.posts.claim(clock.now(), LEASE_MS);
    if (!job) return false;
    try {
      await this.fanOut(job);
      await store.posts.finish(job.momentId);
    } catch (err) {
      const wait = Math.min(MAX_BACKOFF_MS, 1000 * 2 ** job.attempts);
      this.d.logger.warn(
        { err, moment_id: job.momentId, attempts: job.attempts },
        'moments fan-out failed; will retry',
      );
      await store.posts.retry(job.momentId, clock.now() + wait);
    }
    return true;
  }

  private async fanOut(job: OutboxJob): Promise<void> {
    const { store, contacts, clock, config } = this.d;
    const post = await store.posts.get(job.momentId);
    if (!post || post.audience === pb.Audience.PRIVATE) return; // deleted meanwhile, or private
    const requestId = `fanout-${post.id}`;
    const author = post.authorId;
    const { friends } = await contacts.graph(author, [], requestId);
    const [lists, hiddenFrom, mutedBy, settings] = await Promise.all([
      store.posts.audiences([post], [pb.Audience.ONLY, pb.Audience.EXCEPT]),
      store.people.filters(author, FILTER_HIDE_FROM),
      store.people.filteredBy(author, FILTER_MUTE),
      store.people.settings([author]),
    ]);
    const now = clock.now();
    if (post.createdAt < windowStart(rulesOf(settings.get(author)), now)) return;
    const list = lists.get(post.id);
    const hidden = new Set(hiddenFrom);
    const audience = [...friends.keys()].filter(
      (f) => audienceIncludes(post, list, f) && !hidden.has(f) && !mutedBy.has(f),
    );
    const active = await this.readers.among(audience, now - config.activeDays * DAY);
    const rows = audience
      .filter((f) => active.has(f))
      .map((viewerId) => ({ viewerId, momentId: post.id, authorId: author }));
    await this.pointers.write(rows);
    this.d.onFanout?.(Math.max(0, clock.now() - post.createdAt) / 1000, rows.length);
    const card = (await contacts.people(author, [author], requestId)).get(author);
    await this.d.push.hint(
      audience,
      create(pb.MomentHintSchema, {
        momentId: post.id,
        authorId: author,
        authorAvatarUrl: card?.avatarUrl ?? '',
      }),
    );
  }
}
