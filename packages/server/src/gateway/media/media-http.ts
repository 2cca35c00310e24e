import type { ProxyTrust } from '../../http/proxy-trust.js';
import { randomUUID } from 'node:crypto';
import type http from 'node:http';
import { Code } from '@connectrpc/connect';
import { media } from '@mychat/protocol';
import type { Logger } from 'pino';
import { AppError, ErrorCode, errorInfoOf, errors, reasonOf, toConnectError } from '../../kernel/errors.js';
import { callHeaders, type Caller } from '../../rpc/call-context.js';
import type { AccessTokens } from '../../adapters/tokens/access-tokens.js';
import type { SessionRevocations } from '../../contracts/sessions.js';

/** Who is calling and from where, for an HTTP media route. */
export interface MediaCall {
  caller: Caller;
  requestId: string;
  clientIp: string;
}

const SAFE_REQUEST_ID = /^[A-Za-z0-9._:-]{8,64}$/;

/** HTTP statuses for the stable codes a media route can answer with. */
const HTTP_BY_CODE: Partial<Record<ErrorCode, number>> = {
  [ErrorCode.PAYLOAD_TOO_LARGE]: 413,
  [ErrorCode.QUOTA_EXCEEDED]: 413,
  [ErrorCode.MEDIA_TYPE_NOT_ALLOWED]: 415,
  [ErrorCode.MEDIA_TOO_LARGE]: 422,
  [ErrorCode.MEDIA_NOT_READY]: 409,
  [ErrorCode.MEDIA_CORRUPT]: 422,
  [ErrorCode.TOO_MANY_UPLOADS]: 429,
};

const HTTP_BY_CONNECT: Partial<Record<Code, number>> = {
  [Code.InvalidArgument]: 400,
  [Code.Unauthenticated]: 401,
  [Code.PermissionDenied]: 403,
  [Code.NotFound]: 404,
  [Code.AlreadyExists]: 409,
  [Code.FailedPrecondition]: 412,
  [Code.ResourceExhausted]: 429,
  [Code.DeadlineExceeded]: 504,
  [Code.Unavailable]: 503,
};

/** An error as the HTTP status and JSON body a client sees (never an internal message). */
export function httpError(
  err: unknown,
  requestId: string,
): { status: number; body: Record<string, unknown> } {
  const ce = toConnectError(err);
  const info = errorInfoOf(ce);
  if (!info) {
    const status = ce.code === Code.Unavailable ? 503 : 500;
    return {
      status,
      body: { reason: status === 503 ? 'UNAVAILABLE' : 'INTERNAL', message: 'internal error', requestId },
    };
  }
  return {
    status: HTTP_BY_CODE[info.code] ?? HTTP_BY_CONNECT[ce.code] ?? 500,
    body: {
      reason: reasonOf(info.code),
      message: ce.rawMessage,
      ...(info.field && { field: info.field }),
      ...(info.retryAfterSeconds > 0 && { retryAfterSeconds: info.retryAfterSeconds }),
      requestId,
    },
  };
}

/** Writes a JSON answer. */
export function sendJson(
  res: http.ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    ...headers,
  });
  res.end(text);
}

/** Sends an error, logging what is not a client's mistake. */
export function sendError(res: http.ServerResponse, err: unknown, requestId: string, logger: Logger): void {
  const { status, body } = httpError(err, requestId);
  if (status >= 500) logger.error({ err, request_id: requestId }, 'media route failed');
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const retry = body.retryAfterSeconds;
  sendJson(res, status, body, {
    'x-request-id': requestId,
    ...(typeof retry === 'number' && { 'retry-after': String(retry) }),
  });
}

/** Authenticates the bearer token of a media HTTP request, as the Connect edge does. */
export function mediaAuthenticator(o: {
  tokens: AccessTokens;
  revocations: SessionRevocations;
  proxies: ProxyTrust;
}) {
  return {
    requestId(req: http.IncomingMessage): string {
      const given = String(req.headers['x-request-id'] ?? '');
      return SAFE_REQUEST_ID.test(given) ? given : randomUUID();
    },
    async authenticate(req: http.IncomingMessage, requestId: string): Promise<MediaCall> {
      const bearer = /^Bearer (.+)$/i.exec(String(req.headers.authorization ?? ''))?.[1];
      if (!bearer)
        throw errors.unauthenticated('this call needs an access token (Authorization: Bearer ...)');
      const claims = await o.tokens.verify(bearer);
      if (await o.revocations.reason(claims.sessionId))
        throw new AppError(ErrorCode.SESSION_REVOKED, 'this session has ended; log in again');
      return {
        caller: {
          userId: claims.userId,
          sessionId: claims.sessionId,
          clientType: claims.clientType,
          deviceId: claims.deviceId,
        },
        requestId,
        clientIp: o.proxies.clientAddress(req),
      };
    },
  };
}

/** Call options for an internal RPC on behalf of a media HTTP caller. */
export const onBehalfOf = (c: MediaCall, timeoutMs: number) => ({
  timeoutMs,
  headers: callHeaders({ requestId: c.requestId, clientIp: c.clientIp, caller: c.caller }),
});

/** `kind` as the MediaKind number, or an error. */
export function parseKind(v: string | null | undefined): number {
  const K = media.MediaKind;
  const kinds: Record<string, number> = { image: K.IMAGE, voice: K.VOICE, video: K.VIDEO, file: K.FILE };
  const k = kinds[(v ?? '').toLowerCase()];
  if (!k) throw errors.invalidArgument('kind must be image, voice, video or file', 'kind');
  return k;
}
