import type { JsonValue } from '@bufbuild/protobuf';
import { Code, ConnectError } from '@connectrpc/connect';
import { errorFromJson, errorToJson } from '@connectrpc/connect/protocol-connect';
import { describe, expect, it } from 'vitest';

import {
  AppError,
  connectCodeOf,
  ErrorCode,
  errorInfoOf,
  errors,
  reasonOf,
  toConnectError,
} from './errors.js';

describe('toConnectError', () => {
  it('carries code, reason and field in ErrorInfo, readable with errorInfoOf', () => {
    const ce = toConnectError(
      errors.invalid(ErrorCode.INVALID_EMAIL, 'that is not an email address', 'email'),
    );
    expect(ce).toBeInstanceOf(ConnectError);
    expect(ce.code).toBe(Code.InvalidArgument);
    expect(ce.rawMessage).toBe('that is not an email address');
    const info = errorInfoOf(ce);
    expect(info).toBeDefined();
    expect(info!.code).toBe(ErrorCode.INVALID_EMAIL);
    expect(info!.reason).toBe('INVALID_EMAIL');
    expect(info!.field).toBe('email');
    expect(info!.retryAfterSeconds).toBe(0);
  });

  it('carries retryAfterSeconds for a rate limit, rounded up to at least 1', () => {
    const ce = toConnectError(errors.rateLimited(41.2));
    expect(ce.code).toBe(Code.ResourceExhausted);
    expect(errorInfoOf(ce)).toMatchObject({
      code: ErrorCode.RATE_LIMITED,
      reason: 'RATE_LIMITED',
      retryAfterSeconds: 42,
    });
    expect(errorInfoOf(toConnectError(errors.rateLimited(0.01)))!.retryAfterSeconds).toBe(1);
  });

  it('survives a round trip through the Connect wire format', () => {
    const ce = toConnectError(errors.tooLong('nickname', 32));
    const json = JSON.parse(JSON.stringify(errorToJson(ce, undefined))) as JsonValue;
    const decoded = errorFromJson(json, undefined, new ConnectError('unparseable', Code.Unknown));
    expect(decoded.code).toBe(Code.InvalidArgument);
    expect(decoded.rawMessage).toBe('nickname is longer than 32 characters');
    expect(errorInfoOf(decoded)).toMatchObject({ code: ErrorCode.FIELD_TOO_LONG, field: 'nickname' });
  });

  it.each([
    [ErrorCode.INTERNAL, Code.Internal],
    [ErrorCode.INVALID_ARGUMENT, Code.InvalidArgument],
    [ErrorCode.INVALID_EMAIL, Code.InvalidArgument],
    [ErrorCode.UNAUTHENTICATED, Code.Unauthenticated],
    [ErrorCode.TOKEN_EXPIRED, Code.Unauthenticated],
    [ErrorCode.INVALID_CREDENTIALS, Code.Unauthenticated],
    [ErrorCode.PERMISSION_DENIED, Code.PermissionDenied],
    [ErrorCode.NOT_FOUND, Code.NotFound],
    [ErrorCode.RATE_LIMITED, Code.ResourceExhausted],
    [ErrorCode.CODE_TOO_MANY_ATTEMPTS, Code.ResourceExhausted],
    [ErrorCode.UNAVAILABLE, Code.Unavailable],
    [ErrorCode.DEADLINE_EXCEEDED, Code.DeadlineExceeded],
    [ErrorCode.ACCOUNT_EXISTS, Code.AlreadyExists],
    [ErrorCode.CODE_EXPIRED, Code.FailedPrecondition],
    [ErrorCode.MOMENT_ALREADY_LIKED, Code.AlreadyExists],
    [ErrorCode.MOMENT_TOO_MANY_COMMENTS, Code.FailedPrecondition],
    [ErrorCode.MOMENT_EMPTY, Code.InvalidArgument],
    [ErrorCode.ROOM_NOT_MEMBER, Code.PermissionDenied],
    [ErrorCode.ROOM_HOST_ONLY, Code.PermissionDenied],
    [ErrorCode.ROOM_CLOSED, Code.FailedPrecondition],
    [ErrorCode.ROOM_QUEUE_FULL, Code.FailedPrecondition],
    [ErrorCode.ROOM_TRACK_UNPLAYABLE, Code.InvalidArgument],
  ])('maps %s to Connect code %s', (code, status) => {
    expect(connectCodeOf(code)).toBe(status);
    const ce = toConnectError(new AppError(code, 'x'));
    expect(ce.code).toBe(status);
    expect(errorInfoOf(ce)!.code).toBe(code);
  });

  it.each([
    ['an Error', new Error('ECONNREFUSED 10.0.0.5:3306 password=hunter2')],
    ['a TypeError', new TypeError("Cannot read properties of undefined (reading 'secret')")],
    ['a string', 'SELECT * FROM users failed'],
    ['undefined', undefined],
    ['null', null],
    ['an object', { message: 'internal detail' }],
  ])('turns %s into Internal "internal error" without the original message', (_what, thrown) => {
    const ce = toConnectError(thrown);
    expect(ce.code).toBe(Code.Internal);
    expect(ce.rawMessage).toBe('internal error');
    for (const leak of ['ECONNREFUSED', 'hunter2', 'secret', 'SELECT', 'internal detail']) {
      expect(ce.message).not.toContain(leak);
    }
    expect(ce.details).toEqual([]);
    expect(ce.cause).toBeUndefined();
    expect(errorInfoOf(ce)).toBeUndefined();
  });

  it('passes a ConnectError through unchanged', () => {
    const original = new ConnectError('deadline', Code.DeadlineExceeded);
    expect(toConnectError(original)).toBe(original);
  });
});

describe('errorInfoOf', () => {
  it('is undefined for anything but a ConnectError with ErrorInfo', () => {
    expect(errorInfoOf(new Error('x'))).toBeUndefined();
    expect(errorInfoOf(errors.notFound('x'))).toBeUndefined();
    expect(errorInfoOf(new ConnectError('x', Code.NotFound))).toBeUndefined();
    expect(errorInfoOf(undefined)).toBeUndefined();
  });
});

describe('AppError', () => {
  it('has a stable reason without the prefix', () => {
    expect(errors.notFound('no such user').reason).toBe('NOT_FOUND');
    expect(reasonOf(ErrorCode.REFRESH_TOKEN_REUSED)).toBe('REFRESH_TOKEN_REUSED');
  });

  it('factories set the code and field', () => {
    expect(errors.invalidArgument('bad', 'name')).toMatchObject({
      code: ErrorCode.INVALID_ARGUMENT,
      details: { field: 'name' },
    });
    expect(errors.invalidArgument('bad').details).toEqual({});
    expect(errors.unauthenticated().code).toBe(ErrorCode.UNAUTHENTICATED);
    expect(errors.internal().message).toBe('internal error');
  });
});
