import type { Logger } from 'pino';
import type { Mailer } from '../../adapters/mail/mail.js';
import type { SmsSender } from '../../adapters/sms/sms.js';
import type { VerificationCodes } from './auth.codes.js';
import type { AuthRepository, Destination } from './auth.repository.js';
import {
  normalizeLocale,
  renderAccountExistsMail,
  renderAccountExistsSms,
  renderCodeMail,
  renderCodeSms,
} from './auth.templates.js';
import type { Purpose } from './auth.validation.js';

export interface CodeSenderDeps {
  repo: AuthRepository;
  codes: VerificationCodes;
  mailer: Mailer;
  sms: SmsSender;
  logger: Logger;
  codeTtlSeconds: number;
}

/**
 * SendVerificationCode: admits the send, stores a code and hands the message to its transport
 * without making the caller wait (nor leaking timing). The answer is the same in every case.
 */
export class CodeSender {
  private readonly pending = new Set<Promise<unknown>>();

  constructor(private readonly d: CodeSenderDeps) {}

  async send(
    dest: Destination,
    purpose: Purpose,
    locale: string,
    ip: string,
  ): Promise<{ expiresIn: number; resendAfter: number }> {
    await this.d.codes.admitSend(dest, ip);
    const user = await this.d.repo.findUserByDestination(dest);
    const loc = normalizeLocale(locale);
    const ttlMinutes = Math.round(this.d.codeTtlSeconds / 60);
    // A code is stored in every case, even one nobody will receive (a login or reset code for
    // an unknown address, a register code for a taken one): then a later Register, Login or
    // ResetPassword answers exactly the same (CODE_INVALID, CODE_EXPIRED) whether an account
    // exists or not. Only what lands in the mailbox differs.
    const code = await this.d.codes.issue(purpose, dest);
    if (purpose === 'register' && user) {
      this.deliver(() =>
        dest.kind === 'email'
          ? this.d.mailer.send({ to: dest.value, ...renderAccountExistsMail({ locale: loc }) })
          : this.d.sms.send({ to: dest.value, text: renderAccountExistsSms({ locale: loc }) }),
      );
    } else if (purpose === 'register' || user) {
      this.deliver(() =>
        dest.kind === 'email'
          ? this.d.mailer.send({
              to: dest.value,
              ...renderCodeMail({ locale: loc, purpose, code, ttlMinutes }),
            })
          : this.d.sms.send({
              to: dest.value,
              text: renderCodeSms({ locale: loc, purpose, code, ttlMinutes }),
            }),
      );
    }
    return { expiresIn: this.d.codeTtlSeconds, resendAfter: 60 };
  }

  /** Waits for mails and texts still being handed to their transport (shutdown). */
  async drain(): Promise<void> {
    await Promise.allSettled([...this.pending]);
  }

  private deliver(send: () => Promise<unknown>): void {
    const p = send()
      .catch((err: unknown) => this.d.logger.error({ err }, 'verification message could not be sent'))
      .finally(() => this.pending.delete(p));
    this.pending.add(p);
  }
}
