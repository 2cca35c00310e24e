import { cfg } from '../../kernel/config.js';

/** The contacts module's settings (`contacts.*`, MYCHAT_CONTACTS_*). */
export const contactsConfigSchema = cfg.group({
  /** Largest group, owner included. */
  maxGroupMembers: cfg.int(2000, 2, 100_000),
  /** Pending outgoing friend requests one user may have. */
  maxPendingRequests: cfg.int(200, 1, 100_000),
  /** SearchUsers queries by exact email or phone one user may make per hour (found or not). */
  exactSearchesPerHour: cfg.int(30, 1, 1_000_000),
  /**
   * How often changes the message service has not taken yet (it was down or slow) are
   * sent again, seconds; also how old such a change must be before it is retried.
   */
  repairIntervalSeconds: cfg.int(10, 1, 3600),
});
