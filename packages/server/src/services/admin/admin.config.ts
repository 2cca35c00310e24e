import { cfg } from '../../kernel/config.js';

/** The operator's console (`admin.*`, MYCHAT_ADMIN_*). */
export const adminConfigSchema = cfg.group({
  /**
   * Off: the gateway serves no AdminService route (the console is gone from the public edge);
   * users may still report content and read system notices.
   */
  enabled: cfg.bool(true),
  /** How long a ConfirmPassword lets destructive actions through on that session, seconds. */
  stepUpSeconds: cfg.int(300, 30, 3600),
  /**
   * How often the console catches up with the square's reports (besides at start and on each
   * bus announcement, a hint): a report whose announcement no admin process heard is filed
   * within this many seconds. Seconds.
   */
  squareReportsPollSeconds: cfg.int(60, 1, 3600),
});

export type AdminConfig = ReturnType<(typeof adminConfigSchema)['parse']>;
