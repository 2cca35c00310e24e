import { cfg } from '../../kernel/config.js';

/** The square module's settings (`square.*`, MYCHAT_SQUARE_*). */
export const squareConfigSchema = cfg.group({
  /**
   * Square admins: the user ids that may create public boards, name moderators of any board,
   * ban from the whole square and manage the keyword filter. A stand-in until the admin
   * module's roles take over (issue 26); `mychat square` on the command line needs none.
   */
  adminUserIds: cfg.list([]),
  /** Posts (threads and replies) one user may write per minute. */
  postsPerMinute: cfg.int(10, 1, 10_000),
  /** Accounts younger than this many hours are "new" and post under the stricter daily cap. */
  newAccountHours: cfg.int(24, 0, 24 * 365),
  /** Posts a new account may write per 24 hours. */
  newAccountPostsPerDay: cfg.int(20, 0, 100_000),
});

export type SquareConfig = ReturnType<(typeof squareConfigSchema)['parse']>;
