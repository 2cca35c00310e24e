import { MyChatError, toMyChatError } from '@mychat/sdk';
import { i18n } from '../i18n/index.js';

/**
 * A failure as a sentence in the person's language: the SDK's stable `reason` picks the
 * message (errors.<REASON>); the server's English text is never shown.
 */
export function errorText(err: unknown): string {
  const e = err instanceof MyChatError ? err : toMyChatError(err);
  const t = i18n.global.t;
  const reason = i18n.global.te(`errors.${e.reason}`, 'en') ? e.reason : 'UNKNOWN';
  return t(`errors.${reason}`, { s: e.retryAfterSeconds ?? 60 });
}

/** The field the server blamed ("email", "password", "code", ...), if any. */
export function errorField(err: unknown): string | undefined {
  const e = err instanceof MyChatError ? err : toMyChatError(err);
  if (e.field) return e.field;
  // Some reasons name their field by meaning even when the server leaves `field` empty.
  const byReason: Record<string, string> = {
    INVALID_EMAIL: 'email',
    INVALID_PHONE: 'phone',
    CODE_INVALID: 'code',
    CODE_EXPIRED: 'code',
    CODE_USED: 'code',
    CODE_TOO_MANY_ATTEMPTS: 'code',
    WEAK_PASSWORD: 'password',
    INVALID_NICKNAME: 'nickname',
  };
  return byReason[e.reason];
}
