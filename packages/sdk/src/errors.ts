import { ConnectError } from '@connectrpc/connect';
import { common } from '@mychat/protocol';

/**
 * Every failure the SDK reports. `reason` is MyChat's stable code without its prefix
 * ("CODE_EXPIRED", "RATE_LIMITED", ...); switch on it, show `message` to people.
 */
export class MyChatError extends Error {
  override readonly name = 'MyChatError';
  /**
   * Every wrong field when the server found several at once (sign-up: a weak password and a
   * wrong code), the first of them also in `reason` and `field`; empty otherwise.
   */
  violations: { field: string; reason: string }[] = [];
  constructor(
    message: string,
    /** Stable reason, e.g. "INVALID_EMAIL"; "NETWORK" when the server could not be reached. */
    readonly reason: string,
    /** The request field at fault, when there is one (JSON name, e.g. "email"). */
    readonly field?: string,
    /** For RATE_LIMITED: seconds to wait. */
    readonly retryAfterSeconds?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Turns whatever a call threw into a MyChatError. */
export function toMyChatError(err: unknown): MyChatError {
  if (err instanceof MyChatError) return err;
  if (err instanceof ConnectError) {
    const info = err.findDetails(common.ErrorInfoSchema)[0];
    if (info) {
      const e = new MyChatError(
        err.rawMessage,
        info.reason,
        info.field || undefined,
        info.retryAfterSeconds || undefined,
        {
          cause: err,
        },
      );
      e.violations = info.violations.map((v) => ({ field: v.field, reason: v.reason }));
      return e;
    }
    const reason = err.code === 14 ? 'NETWORK' : 'UNKNOWN'; // 14 = unavailable
    return new MyChatError(err.rawMessage, reason, undefined, undefined, { cause: err });
  }
  return new MyChatError(err instanceof Error ? err.message : String(err), 'UNKNOWN', undefined, undefined, {
    cause: err,
  });
}
