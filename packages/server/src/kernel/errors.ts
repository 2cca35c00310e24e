import { Code, ConnectError } from '@connectrpc/connect';
import { create } from '@bufbuild/protobuf';
import { common } from '@mychat/protocol';

/** The stable error codes (proto enum mychat.common.v1.ErrorCode). */
export const ErrorCode = common.ErrorCode;
export type ErrorCode = common.ErrorCode;
const { ErrorInfoSchema } = common;

/**
 * A failure with a stable code that a client may see. Domain code throws these (through
 * the factories below); only the edge turns them into Connect/gRPC statuses, HTTP
 * statuses or WebSocket close codes. Anything else thrown is an internal error and its
 * message never reaches a client.
 */
export class AppError extends Error {
  override readonly name = 'AppError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: { field?: string; retryAfterSeconds?: number; also?: AppError[] } = {},
  ) {
    super(message);
  }

  /** The code's stable name without the ERROR_CODE_ prefix, e.g. "CODE_EXPIRED". */
  get reason(): string {
    return reasonOf(this.code);
  }
}

export function reasonOf(code: ErrorCode): string {
  return (ErrorCode[code] ?? 'UNSPECIFIED').replace(/^ERROR_CODE_/, '');
}

/**
 * Several wrong fields of one request as one error: the first one, carrying all of them (sent
 * as ErrorInfo.violations), so a form shows every mistake at once instead of one per try.
 */
export function allOf(problems: AppError[]): AppError {
  const [first] = problems;
  if (!first) throw new Error('allOf needs at least one error');
  if (problems.length === 1) return first;
  return new AppError(first.code, first.message, { ...first.details, also: problems });
}

/** Shorthand constructors, so call sites read as what went wrong. */
export const errors = {
  invalid: (code: ErrorCode, message: string, field?: string) =>
    new AppError(code, message, field === undefined ? {} : { field }),
  invalidArgument: (message: string, field?: string) =>
    new AppError(ErrorCode.INVALID_ARGUMENT, message, field === undefined ? {} : { field }),
  tooLong: (field: string, max: number) =>
    new AppError(ErrorCode.FIELD_TOO_LONG, `${field} is longer than ${max} characters`, { field }),
  unauthenticated: (message = 'authentication required', code: ErrorCode = ErrorCode.UNAUTHENTICATED) =>
    new AppError(code, message),
  permissionDenied: (message: string) => new AppError(ErrorCode.PERMISSION_DENIED, message),
  notFound: (message: string) => new AppError(ErrorCode.NOT_FOUND, message),
  rateLimited: (retryAfterSeconds: number, message = 'too many requests, try again later') =>
    new AppError(ErrorCode.RATE_LIMITED, message, {
      retryAfterSeconds: Math.max(1, Math.ceil(retryAfterSeconds)),
    }),
  internal: (message = 'internal error') => new AppError(ErrorCode.INTERNAL, message),
};

/** The Connect (and so gRPC) status for each stable code. */
export function connectCodeOf(code: ErrorCode): Code {
  switch (code) {
    case ErrorCode.INTERNAL:
    case ErrorCode.UNSPECIFIED:
      return Code.Internal;
    case ErrorCode.UNAUTHENTICATED:
    case ErrorCode.TOKEN_EXPIRED:
    case ErrorCode.TOKEN_INVALID:
    case ErrorCode.REFRESH_TOKEN_REUSED:
    case ErrorCode.SESSION_REVOKED:
    case ErrorCode.INVALID_CREDENTIALS:
      return Code.Unauthenticated;
    case ErrorCode.PERMISSION_DENIED:
    case ErrorCode.ROOM_NOT_MEMBER:
    case ErrorCode.ROOM_HOST_ONLY:
    case ErrorCode.ACCOUNT_DISABLED:
    case ErrorCode.ADMIN_REQUIRED:
    case ErrorCode.STEP_UP_REQUIRED:
      return Code.PermissionDenied;
    case ErrorCode.NOT_FOUND:
      return Code.NotFound;
    case ErrorCode.RATE_LIMITED:
    case ErrorCode.CODE_TOO_MANY_ATTEMPTS:
    case ErrorCode.TOO_MANY_UPLOADS:
      return Code.ResourceExhausted;
    case ErrorCode.UNAVAILABLE:
      return Code.Unavailable;
    case ErrorCode.DEADLINE_EXCEEDED:
      return Code.DeadlineExceeded;
    case ErrorCode.ACCOUNT_EXISTS:
    case ErrorCode.MOMENT_ALREADY_LIKED:
    case ErrorCode.ALREADY_REPORTED:
      return Code.AlreadyExists;
    case ErrorCode.CODE_EXPIRED:
    case ErrorCode.CODE_USED:
    case ErrorCode.MOMENT_TOO_MANY_COMMENTS:
    case ErrorCode.PUSH_DISABLED:
    case ErrorCode.REACTION_LIMIT:
    case ErrorCode.MESSAGE_RECALLED:
    case ErrorCode.PIN_LIMIT:
    case ErrorCode.FAVORITES_FULL:
    case ErrorCode.STICKERS_FULL:
    case ErrorCode.ROOM_CLOSED:
    case ErrorCode.ROOM_QUEUE_FULL:
    case ErrorCode.CALL_BUSY:
    case ErrorCode.CALL_ALREADY_IN_CALL:
    case ErrorCode.CALL_ENDED:
    case ErrorCode.CALL_FULL:
    case ErrorCode.CALL_ANSWERED_ELSEWHERE:
    case ErrorCode.REPORT_RESOLVED:
    case ErrorCode.ADMIN_SELF_ACTION:
    case ErrorCode.E2EE_NO_IDENTITY:
    case ErrorCode.E2EE_IDENTITY_EXISTS:
    case ErrorCode.E2EE_TOO_MANY_DEVICES:
    case ErrorCode.E2EE_DEVICE_REMOVED:
      return Code.FailedPrecondition;
    case ErrorCode.E2EE_NO_BACKUP:
      return Code.NotFound;
    // Not resource_exhausted: that reads as rate limiting, and resending cannot help.
    case ErrorCode.PAYLOAD_TOO_LARGE:
    case ErrorCode.MALFORMED_REQUEST:
      return Code.InvalidArgument;
    default:
      return Code.InvalidArgument;
  }
}

/** Converts anything thrown into the ConnectError a client may see. */
export function toConnectError(err: unknown): ConnectError {
  if (err instanceof AppError) {
    const info = create(ErrorInfoSchema, {
      code: err.code,
      reason: err.reason,
      field: err.details.field ?? '',
      retryAfterSeconds: err.details.retryAfterSeconds ?? 0,
      violations: (err.details.also ?? []).map((e) => ({
        field: e.details.field ?? '',
        code: e.code,
        reason: e.reason,
      })),
    });
    return new ConnectError(err.message, connectCodeOf(err.code), undefined, [
      { desc: ErrorInfoSchema, value: info },
    ]);
  }
  if (err instanceof ConnectError) return err;
  return new ConnectError('internal error', Code.Internal);
}

/** Reads the stable code back out of a ConnectError (clients and tests). */
export function errorInfoOf(err: unknown): common.ErrorInfo | undefined {
  if (!(err instanceof ConnectError)) return undefined;
  return err.findDetails(ErrorInfoSchema)[0];
}
