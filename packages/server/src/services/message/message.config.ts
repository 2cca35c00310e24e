import { cfg } from '../../kernel/config.js';

/** The message module's settings (`message.*`, MYCHAT_MESSAGE_*). */
export const messageConfigSchema = cfg.group({
  /** Largest text message, bytes of UTF-8. */
  maxTextBytes: cfg.int(8192, 1, 1_048_576),
  /** How long a sender may recall a message, seconds (group owners and admins: always). */
  recallWindowSeconds: cfg.int(120, 0, 86_400),
  /** How long a sender may edit a sent text message, seconds; 0 turns editing off. */
  editWindowSeconds: cfg.int(86_400, 0, 30 * 86_400),
  /** Sustained sends per user per second. */
  sendRatePerSecond: cfg.int(20, 1, 100_000),
  /** Sends per user allowed in a burst above the rate. */
  sendBurst: cfg.int(40, 1, 100_000),
  /**
   * Groups up to this many members push a `receipt` to senders when someone reads their
   * messages; larger groups only answer GetReadReceipts (a push per read to most of a big
   * group is quadratic traffic).
   */
  groupReceiptPushMaxMembers: cfg.int(100, 0, 100_000),
  /** Favourites (收藏) a user may keep; more is FAVORITES_FULL. */
  favoritesMax: cfg.int(5000, 1, 1_000_000),
  /** Stickers (表情包) a user may keep; more is STICKERS_FULL. */
  stickersMax: cfg.int(300, 1, 10_000),
});
