import nodemailer from 'nodemailer';
import type { Logger } from 'pino';

import type { Mailer, MailMessage } from './mail.js';
import { maskEmail } from './mask-email.js';
import { writeOutboxFile } from '../../kernel/outbox-file.js';

/** Options of {@link createOutboxMailer}. */
export interface OutboxMailerOptions {
  /** Directory the `.eml` files go to; created on the first send. */
  outboxDir: string;
  /** The From header, e.g. `MyChat <no-reply@mychat.local>`. */
  from: string;
  logger: Logger;
}

/**
 * The embedded mailer: each mail becomes a real RFC 5322 `.eml` file (multipart
 * text + HTML, encoded UTF-8 headers, CRLF line ends) in the outbox directory, which any
 * mail client opens. It logs one line with the file path and a masked recipient and never
 * the subject or body, because verification codes travel in them.
 *
 * `send` resolves to the file name stem as the id.
 */
export function createOutboxMailer(opts: OutboxMailerOptions): Mailer {
  const composer = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'windows' });
  return {
    async send(message: MailMessage) {
      const info = await composer.sendMail({
        from: opts.from,
        to: message.to,
        subject: message.subject,
        text: message.text,
        html: message.html,
      });
      const raw = info.message;
      if (!Buffer.isBuffer(raw)) throw new Error('nodemailer stream transport did not return a buffer');
      const { file, stem } = await writeOutboxFile(opts.outboxDir, 'eml', raw);
      opts.logger.info({ file, to: maskEmail(message.to) }, 'mail written to outbox');
      return { id: stem };
    },
    async close() {
      composer.close();
    },
  };
}
