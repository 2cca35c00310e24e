import type { HandlerContext } from '@connectrpc/connect';
import { errors } from '../kernel/errors.js';

/**
 * Metadata that travels on every internal call. The gateway is the only writer of the
 * identity headers: it strips them from what clients send and sets them from a verified
 * access token. Services trust them because every internal call must also carry the
 * shared internal token.
 */
export const Meta = {
  requestId: 'x-request-id',
  internalToken: 'x-mychat-internal-token',
  userId: 'x-mychat-user-id',
  sessionId: 'x-mychat-session-id',
  clientType: 'x-mychat-client-type',
  deviceId: 'x-mychat-device-id',
  clientIp: 'x-mychat-client-ip',
} as const;

/** The headers only the gateway may set; removed from anything a client sends. */
export const TRUSTED_HEADERS: readonly string[] = Object.values(Meta);

/** The authenticated user and device behind a call. */
export interface Caller {
  userId: string;
  sessionId: string;
  clientType: string;
  deviceId: string;
}

export interface CallInfo {
  requestId: string;
  clientIp: string;
  caller: Caller | undefined;
}

export function callInfo(ctx: HandlerContext): CallInfo {
  const h = ctx.requestHeader;
  return {
    requestId: h.get(Meta.requestId) ?? '',
    clientIp: h.get(Meta.clientIp) ?? '',
    caller: callerOf({
      userId: h.get(Meta.userId) ?? '',
      sessionId: h.get(Meta.sessionId) ?? '',
      clientType: h.get(Meta.clientType) ?? '',
      deviceId: h.get(Meta.deviceId) ?? '',
    }),
  };
}

/**
 * The call info of headers built by {@link callHeaders} (a plain record), read back without
 * a Headers object: the gateway's send batching does this for every socket send.
 */
export function callInfoOfRecord(h: Readonly<Record<string, string | undefined>>): CallInfo {
  return {
    requestId: h[Meta.requestId] ?? '',
    clientIp: h[Meta.clientIp] ?? '',
    caller: callerOf({
      userId: h[Meta.userId] ?? '',
      sessionId: h[Meta.sessionId] ?? '',
      clientType: h[Meta.clientType] ?? '',
      deviceId: h[Meta.deviceId] ?? '',
    }),
  };
}

/**
 * The caller the gateway vouched for, from the identity fields it set (headers of a call, or
 * a BatchedSend); undefined without a user and a session.
 */
export function callerOf(f: Caller): Caller | undefined {
  return f.userId && f.sessionId
    ? { userId: f.userId, sessionId: f.sessionId, clientType: f.clientType, deviceId: f.deviceId }
    : undefined;
}

/** The caller of a method that needs one; UNAUTHENTICATED when the call has none. */
export function requireCaller(ctx: HandlerContext): Caller {
  const c = callInfo(ctx).caller;
  if (!c) throw errors.unauthenticated();
  return c;
}

/** Headers for an internal call made on behalf of a caller (or of nobody). */
export function callHeaders(info: Partial<CallInfo>): Record<string, string> {
  const h: Record<string, string> = {};
  if (info.requestId) h[Meta.requestId] = info.requestId;
  if (info.clientIp) h[Meta.clientIp] = info.clientIp;
  const c = info.caller;
  if (c) {
    h[Meta.userId] = c.userId;
    h[Meta.sessionId] = c.sessionId;
    h[Meta.clientType] = c.clientType;
    h[Meta.deviceId] = c.deviceId;
  }
  return h;
}
