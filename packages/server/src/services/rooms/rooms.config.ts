import { cfg } from '../../kernel/config.js';

/** The rooms module's settings (`rooms.*`, MYCHAT_ROOMS_*). */
export const roomsConfigSchema = cfg.group({
  /** Most tracks one room's queue holds (ROOM_QUEUE_FULL past it). */
  queueMax: cfg.int(1000, 1, 20_000),
  /** Most members of one room. */
  membersMax: cfg.int(2000, 2, 100_000),
  /** A room with no members for this long closes, ms. */
  closeEmptyAfterMs: cfg.int(600_000, 1000, 86_400_000),
  /**
   * The least time from a command to the moment members apply it, ms. The lead is the
   * largest member one-way delay plus `leadMarginMs`, at least this.
   */
  minLeadMs: cfg.int(300, 0, 10_000),
  /** Added to the largest member delay for the lead, ms. */
  leadMarginMs: cfg.int(150, 0, 10_000),
  /** The lead never exceeds this, ms (one member on a very slow link must not slow everyone). */
  maxLeadMs: cfg.int(2000, 0, 30_000),
  /**
   * The longest one buffering member holds the room at the start of a play, ms; then the room
   * goes on and that member catches up by itself.
   */
  bufferWaitMs: cfg.int(3000, 0, 30_000),
  /** Rooms one user may have open as creator at once. */
  maxOpenPerUser: cfg.int(20, 1, 10_000),
});

export type RoomsConfig = ReturnType<(typeof roomsConfigSchema)['parse']>;
