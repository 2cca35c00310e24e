import type { Logger } from 'pino';

import { writeOutboxFile } from '../../kernel/outbox-file.js';
import { maskPhone } from './mask-phone.js';
import type { SmsMessage, SmsSender } from './sms.js';

/** Options of {@link createOutboxSms}. */
export interface OutboxSmsOptions {
  /** Directory the `.json` files go to; created on the first send. */
  outboxDir: string;
  logger: Logger;
  /** The clock, for tests. */
  now?: () => Date;
}

/** What one outbox `.json` file holds. */
export interface OutboxSmsFile {
  to: string;
  text: string;
  /** ISO 8601 UTC. */
  createdAt: string;
}

/**
 * The embedded sms sender: one `.json` file ({@link OutboxSmsFile}) per message, written
 * atomically into the outbox, and one log line with the path and a masked number, never
 * the text. `send` resolves to the file name stem as the id.
 */
export function createOutboxSms(opts: OutboxSmsOptions): SmsSender {
  const now = opts.now ?? (() => new Date());
  return {
    async send(message: SmsMessage) {
      const body: OutboxSmsFile = { to: message.to, text: message.text, createdAt: now().toISOString() };
      const { file, stem } = await writeOutboxFile(
        opts.outboxDir,
        'json',
        `${JSON.stringify(body, null, 2)}\n`,
      );
      opts.logger.info({ file, to: maskPhone(message.to) }, 'sms written to outbox');
      return { id: stem };
    },
    async close() {},
  };
}
