import { cfg } from '../../kernel/config.js';

/** The moments module's settings (`moments.*`, MYCHAT_MOMENTS_*). */
export const momentsConfigSchema = cfg.group({
  /**
   * Friends who have not opened their feed for this many days get no timeline pointers when
   * someone posts; they pull the posts they missed when they come back.
   */
  activeDays: cfg.int(30, 1, 3650),
  /** Timeline pointers the fan-out writes per statement. */
  fanoutBatchSize: cfg.int(500, 1, 10_000),
  /** Posts one worker process writes out at once. */
  fanoutConcurrency: cfg.int(2, 1, 64),
  /** How often an idle fan-out worker looks for posts when no wake-up came over the bus, ms. */
  fanoutPollMs: cfg.int(1000, 10, 60_000),
  /**
   * How long the fan-out holds a `moment_hint` so that the hints of one window leave together
   * (one socket write per socket instead of one per hint), ms; 0 sends each at once.
   */
  hintWindowMs: cfg.int(250, 0, 5_000),
  /** Most posts one pull adds to a returning reader's feed. */
  pullLimit: cfg.int(500, 10, 100_000),
  /**
   * Viewers whose circle (friends, blocks, filters) each moments process keeps between feed
   * reads; a copy is checked against the change stamps in the kv on every read.
   */
  circleCacheSize: cfg.int(50_000, 0, 10_000_000),
  /**
   * Posts whose likes, comments and audience list each moments process keeps between reads;
   * a copy is used only while the post's version (read with it) is unchanged.
   */
  postCacheSize: cfg.int(20_000, 0, 10_000_000),
  /**
   * (Viewer, person) profiles each moments process keeps between reads, over all viewers (kept
   * per viewer; beyond the bound the viewers read least recently are dropped whole); a copy is
   * checked against the person's profile stamp and the viewer's graph stamp in the kv on every read.
   */
  profileCacheSize: cfg.int(250_000, 0, 10_000_000),
  /** Posts one person may publish per hour (then RATE_LIMITED). */
  postsPerHour: cfg.int(30, 1, 100_000),
  /** Comments and replies one person may write per hour. */
  commentsPerHour: cfg.int(300, 1, 100_000),
  /** Likes and unlikes one person may make per hour (a like-unlike loop would spam notices). */
  likesPerHour: cfg.int(600, 1, 100_000),
});

export type MomentsConfig = ReturnType<(typeof momentsConfigSchema)['parse']>;
