import type { Logger } from 'pino';

import type { Mailer } from './mail.js';

/** Options of {@link openMailer}; `smtpUrl` picks SMTP, its absence the outbox. */
export interface OpenMailerOptions {
  /** `smtp://user:pass@host:port` or `smtps://...`; unset means the embedded outbox. */
  smtpUrl?: string;
  /** The From header of every mail. */
  from: string;
  /** Where the embedded outbox writes `.eml` files (usually `<data dir>/outbox`). */
  outboxDir: string;
  logger: Logger;
}

/**
 * Opens the configured mailer. Each implementation is imported only when chosen, so a
 * process loads only what it runs.
 */
export async function openMailer(opts: OpenMailerOptions): Promise<Mailer> {
  if (opts.smtpUrl) {
    const { createSmtpMailer } = await import('./smtp.mail.js');
    return createSmtpMailer({ url: opts.smtpUrl, from: opts.from, logger: opts.logger });
  }
  const { createOutboxMailer } = await import('./outbox.mail.js');
  opts.logger.info({ outboxDir: opts.outboxDir }, 'mail goes to the local outbox (no SMTP configured)');
  return createOutboxMailer({ outboxDir: opts.outboxDir, from: opts.from, logger: opts.logger });
}
