/** One email, always with both a plain-text and an HTML body. */
export interface MailMessage {
  to: string;
  subject: string;
  text: string;
  html: string;
}

/**
 * The mail port. Implementations: the embedded outbox (each mail is written as an .eml
 * file under `<data dir>/outbox/`, with a log line naming the file but never its
 * contents) and SMTP through nodemailer.
 */
export interface Mailer {
  send(message: MailMessage): Promise<{ id: string }>;
  close(): Promise<void>;
}

/** Why a mail could not be handed over; stable for callers and metrics. */
export type MailSendFailure = 'connection' | 'tls' | 'auth' | 'rejected' | 'timeout' | 'unknown';

/**
 * A mail that could not be handed over. The message names the cause (and the SMTP reply
 * code when there is one) but never the credentials, the recipient's full address, the
 * subject or the body, so it is safe to log. The original error is kept as `cause`.
 */
export class MailSendError extends Error {
  override readonly name = 'MailSendError';

  constructor(
    readonly reason: MailSendFailure,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
