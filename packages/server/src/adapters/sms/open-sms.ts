import type { Logger } from 'pino';

import type { SmsSender } from './sms.js';

/** Options of {@link openSms}; `httpUrl` picks the HTTP provider, its absence the outbox. */
export interface OpenSmsOptions {
  /** The provider endpoint; unset means the embedded outbox. */
  httpUrl?: string;
  /** Bearer token for the provider. */
  httpToken?: string;
  /** Where the embedded outbox writes `.json` files (usually `<data dir>/outbox`). */
  outboxDir: string;
  logger: Logger;
}

/**
 * Opens the configured sms sender. Each implementation is imported only when chosen.
 */
export async function openSms(opts: OpenSmsOptions): Promise<SmsSender> {
  if (opts.httpUrl) {
    const { createHttpSms } = await import('./http.sms.js');
    return createHttpSms({
      url: opts.httpUrl,
      logger: opts.logger,
      ...(opts.httpToken ? { token: opts.httpToken } : {}),
    });
  }
  const { createOutboxSms } = await import('./outbox.sms.js');
  opts.logger.info({ outboxDir: opts.outboxDir }, 'sms goes to the local outbox (no provider configured)');
  return createOutboxSms({ outboxDir: opts.outboxDir, logger: opts.logger });
}
