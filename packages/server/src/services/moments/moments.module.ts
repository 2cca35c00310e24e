import { moments as pb } from '@mychat/protocol';
import { Histogram, type Registry } from 'prom-client';
import type { Bus } from '../../adapters/bus/bus.js';
import type { Kv } from '../../adapters/kv/kv.js';
import { WindowLimit } from '../../adapters/kv/window-limit.js';
import type { SqlDatabase } from '../../adapters/sql/sql.js';
import type { Clock } from '../../kernel/clock.js';
import type { IdGenerator } from '../../kernel/ids.js';
import type { Logger } from '../../kernel/logger.js';
import type { ModuleInstance } from '../../kernel/module-graph.js';
import { serves, type ServiceInstance } from '../../rpc/rpc-impl.js';
import type { Peers } from '../../wiring/peers.js';
import type { MomentsConfig } from './moments.config.js';
import { Circles } from './moments.circles.js';
import { MomentsFanout } from './moments.fanout.js';
import { Feed, LISTED } from './moments.feed.js';
import { momentsInternalRpc } from './moments.index-feed.js';
import { Interactions } from './moments.interactions.js';
import { momentsMigrations } from './moments.migrations.js';
import { Notices } from './moments.notices.js';
import { Contacts, MomentMedia, MomentPush } from './moments.peers.js';
import { PostParts } from './moments.post-parts.js';
import { Profiles } from './moments.profiles.js';
import { MomentsStore } from './moments.repository.js';
import { momentsRpc } from './moments.rpc.js';
import { MomentsService } from './moments.service.js';
import { MomentSettingsService } from './moments.settings.js';
import { Timeline } from './moments.timeline.js';

export interface MomentsModuleDeps {
  sql: SqlDatabase;
  kv: Kv;
  bus: Bus;
  /** Friendships, blocks and profiles (contacts); files of posts and covers (media). */
  peers: Peers<'contacts' | 'media'>;
  ids: IdGenerator;
  clock: Clock;
  logger: Logger;
  config: MomentsConfig;
}

/**
 * Builds the moments service (posts, the feed, likes and comments, notices, settings),
 * migrates its tables and returns MomentsService for the wiring to serve. The fan-out of new
 * posts runs elsewhere: {@link initMomentsFanout}, in the `worker` module.
 */
export async function initMoments(d: MomentsModuleDeps): Promise<ServiceInstance<void>> {
  await d.sql.migrate('moments', momentsMigrations);
  const store = MomentsStore.of(d.sql);
  const contacts = new Contacts(d.peers.contacts.internal);
  const media = new MomentMedia(d.peers.media.internal, d.logger);
  const push = new MomentPush(d.bus, d.logger);
  const circles = new Circles({
    store,
    contacts,
    kv: d.kv,
    clock: d.clock,
    maxEntries: d.config.circleCacheSize,
  });
  const parts = new PostParts({ store, listed: LISTED, maxEntries: d.config.postCacheSize });
  const profiles = new Profiles({
    contacts,
    kv: d.kv,
    clock: d.clock,
    maxEntries: d.config.profileCacheSize,
  });
  const feed = new Feed({ store, circles, parts, profiles, clock: d.clock });
  const notices = new Notices({ store, feed, push, clock: d.clock, logger: d.logger });
  const posts = new MomentsService({
    store,
    feed,
    contacts,
    media,
    push,
    notices,
    ids: d.ids,
    clock: d.clock,
    logger: d.logger,
  });
  const timeline = new Timeline({
    store,
    feed,
    clock: d.clock,
    activeDays: d.config.activeDays,
    pullLimit: d.config.pullLimit,
    maxReaders: d.config.circleCacheSize,
  });
  const interactions = new Interactions({ store, feed, notices, ids: d.ids, clock: d.clock });
  const settings = new MomentSettingsService({
    store,
    media,
    clock: d.clock,
    filtersChanged: (ids) => circles.filtersChanged(ids),
  });
  const hour = (name: string, n: number) => new WindowLimit(d.kv, `moments:${name}`, n, 3_600_000);
  const limits = {
    posts: hour('posts', d.config.postsPerHour),
    comments: hour('comments', d.config.commentsPerHour),
    likes: hour('likes', d.config.likesPerHour),
  };
  return {
    value: undefined,
    rpc: [
      serves(pb.MomentsService, momentsRpc({ limits, posts, timeline, interactions, notices, settings })),
      serves(pb.MomentsInternalService, momentsInternalRpc({ store, feed, posts, clock: d.clock })),
    ],
  };
}

/**
 * The fan-out of new posts to friends' timelines, for the `worker` module: any number of
 * processes may run it (each post is taken by one). It migrates the moments tables too, so a
 * worker may start first.
 */
export async function initMomentsFanout(
  d: Omit<MomentsModuleDeps, 'peers' | 'ids' | 'kv'> & { peers: Peers<'contacts'>; metrics: Registry },
): Promise<ModuleInstance<MomentsFanout>> {
  await d.sql.migrate('moments', momentsMigrations);
  const lag = new Histogram({
    name: 'mychat_moments_fanout_lag_seconds',
    help: 'From publishing a moment to its last timeline pointer written by the fan-out',
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [d.metrics],
  });
  const fanout = new MomentsFanout({
    store: MomentsStore.of(d.sql),
    contacts: new Contacts(d.peers.contacts.internal),
    push: new MomentPush(d.bus, d.logger, d.config.hintWindowMs),
    bus: d.bus,
    clock: d.clock,
    logger: d.logger,
    config: {
      activeDays: d.config.activeDays,
      batchSize: d.config.fanoutBatchSize,
      concurrency: d.config.fanoutConcurrency,
      pollIntervalMs: d.config.fanoutPollMs,
      readerCacheSize: d.config.circleCacheSize,
    },
    onFanout: (seconds) => lag.observe(seconds),
  });
  return { value: fanout, start: () => fanout.start(), stop: () => fanout.stop() };
}
