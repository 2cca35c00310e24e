import nodemailer from 'nodemailer';
import type { Logger } from 'pino';

import { MailSendError, type Mailer, type MailMessage } from './mail.js';
import { maskEmail } from './mask-email.js';
import { parseSmtpUrl } from './smtp-url.js';

/** Options of {@link createSmtpMailer}. */
export interface SmtpMailerOptions {
  /** `smtp://user:pass@host:port` or `smtps://...`; see {@link parseSmtpUrl} for the options. */
  url: string;
  /** The From header, e.g. `MyChat <no-reply@example.com>`. */
  from: string;
  logger: Logger;
  /** How long to wait for the connection and the greeting; idle socket timeout is twice this. Default 15 s. */
  timeoutMs?: number;
}

interface NodemailerError {
  code?: string;
  /** The socket's own code when nodemailer wraps it, e.g. `CERT_HAS_EXPIRED`. */
  originalCode?: string;
  responseCode?: number;
}

// certificate and handshake failures arrive as ESOCKET with the TLS code kept aside
const TLS_CODE = /CERT|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)|TLS|SSL|HANDSHAKE/;

function toSendError(err: unknown, target: string, to: string): MailSendError {
  const e = (typeof err === 'object' && err !== null ? err : {}) as NodemailerError;
  const reply = e.responseCode ? ` (SMTP ${e.responseCode})` : '';
  const cause = { cause: err };
  if (e.originalCode && TLS_CODE.test(e.originalCode)) {
    return new MailSendError('tls', `TLS with SMTP server ${target} failed (${e.originalCode})`, cause);
  }
  switch (e.code) {
    case 'EENVELOPE':
      return new MailSendError(
        'rejected',
        `SMTP server ${target} rejected mail to ${maskEmail(to)}${reply}`,
        cause,
      );
    case 'EMESSAGE':
      return new MailSendError('rejected', `SMTP server ${target} rejected the message${reply}`, cause);
    case 'EAUTH':
    case 'ENOAUTH':
      return new MailSendError('auth', `SMTP authentication at ${target} failed${reply}`, cause);
    case 'ETLS':
    case 'EREQUIRETLS':
      return new MailSendError('tls', `TLS with SMTP server ${target} failed`, cause);
    case 'ETIMEDOUT':
      return new MailSendError('timeout', `SMTP server ${target} did not answer in time`, cause);
    case 'ECONNECTION':
    case 'ESOCKET':
    case 'EDNS':
      return new MailSendError('connection', `could not talk to SMTP server ${target}`, cause);
    default:
      return new MailSendError('unknown', `sending mail through ${target} failed${reply}`, cause);
  }
}

/**
 * Sends mail through an SMTP server with nodemailer, one connection per mail (codes are
 * rare and a pool would hold sockets open for nothing).
 *
 * It never logs credentials, subjects or bodies: nodemailer's own logger stays off, and
 * the one line per sent mail carries the masked recipient and the Message-ID. A failure
 * becomes a {@link MailSendError}. `send` resolves to the Message-ID as the id.
 */
export function createSmtpMailer(opts: SmtpMailerOptions): Mailer {
  const s = parseSmtpUrl(opts.url);
  const target = `${s.host}:${s.port}`;
  const timeout = opts.timeoutMs ?? 15_000;
  const transport = nodemailer.createTransport({
    host: s.host,
    port: s.port,
    secure: s.secure,
    ignoreTLS: s.ignoreTLS,
    requireTLS: s.requireTLS,
    ...(s.auth ? { auth: s.auth } : {}),
    connectionTimeout: timeout,
    greetingTimeout: timeout,
    socketTimeout: timeout * 2,
    logger: false,
    debug: false,
    // the bodies are our own templates: never let them pull in files or URLs
    disableFileAccess: true,
    disableUrlAccess: true,
  });
  return {
    async send(message: MailMessage) {
      let messageId: string;
      try {
        const info = await transport.sendMail({
          from: opts.from,
          to: message.to,
          subject: message.subject,
          text: message.text,
          html: message.html,
        });
        messageId = info.messageId;
      } catch (err) {
        throw toSendError(err, target, message.to);
      }
      opts.logger.info({ to: maskEmail(message.to), messageId, smtp: target }, 'mail sent via smtp');
      return { id: messageId };
    },
    async close() {
      transport.close();
    },
  };
}
