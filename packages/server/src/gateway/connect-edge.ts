import type { ProxyTrust } from '../http/proxy-trust.js';
import { randomUUID } from 'node:crypto';
import type http from 'node:http';
import type { DescService } from '@bufbuild/protobuf';
import {
  Code,
  ConnectError,
  createConnectRouter,
  createContextKey,
  createContextValues,
  type HandlerContext,
  type Interceptor,
} from '@connectrpc/connect';
import { universalRequestFromNodeRequest, universalResponseToNodeResponse } from '@connectrpc/connect-node';
import type { Logger } from 'pino';
import type { Counter, Histogram } from 'prom-client';
import { cheapenReasonlessAborts } from '../kernel/abort-reason.js';
import { AppError, ErrorCode, errors, toConnectError } from '../kernel/errors.js';
import { nulField } from '../kernel/text-nul.js';
import { callHeaders, type Caller } from '../rpc/call-context.js';
import type { AccessTokens } from '../adapters/tokens/access-tokens.js';
import type { SessionRevocations } from '../contracts/sessions.js';
import { forClient, withEdgeErrors, type Reached } from './connect-edge-errors.js';
import { EDGE_COMPRESSION } from './edge-compression.js';
import type { PublicService } from './public-api.js';
import type { ReadBudget } from './read-budget.js';

const kClientIp = createContextKey<string>('');
const kRequestId = createContextKey<string>('');
const kCaller = createContextKey<Caller | undefined>(undefined);
const kReached = createContextKey<Reached>({ reached: false });

const SAFE_REQUEST_ID = /^[A-Za-z0-9._:-]{8,64}$/;

/** A public service and the client that forwards its calls to wherever it runs. */
export interface ForwardedService extends PublicService {
  client: object;
}

export interface ConnectEdgeOptions {
  services: readonly ForwardedService[];
  tokens: AccessTokens;
  revocations: SessionRevocations;
  logger: Logger;
  /** Which peers may name the client in X-Forwarded-For. */
  proxies: ProxyTrust;
  maxBodyBytes: number;
  timeoutMs: number;
  requests: Counter<'method' | 'code'>;
  latency: Histogram<'method'>;
  /** Methods (`package.Service/Method`) paid from the caller's read budget, shared with the WebSocket. */
  reads?: { methods: ReadonlySet<string>; budget: ReadBudget };
}

/**
 * The public RPC edge: clients speak Connect (JSON or binary) to the gateway, which
 * authenticates the bearer token, replaces any identity headers a client sent with the
 * verified ones, and forwards the call to the service wherever it runs.
 */
export function connectEdge(
  o: ConnectEdgeOptions,
): (req: http.IncomingMessage, res: http.ServerResponse) => void {
  // Connect aborts each call's signals without a reason when it ends: make that cheap.
  cheapenReasonlessAborts();
  const auth: Interceptor = (next) => async (req) => {
    const started = performance.now();
    const requestId = req.contextValues.get(kRequestId);
    const method = `${req.service.name}/${req.method.name}`;
    let code = 'ok';
    req.contextValues.get(kReached).reached = true;
    try {
      const pub = o.services.find((s) => s.service.typeName === req.service.typeName);
      const bearer = /^Bearer (.+)$/i.exec(req.header.get('authorization') ?? '')?.[1];
      if (bearer) {
        const caller = await authenticate(bearer);
        req.contextValues.set(kCaller, caller);
        const waitSeconds = o.reads?.methods.has(`${req.service.typeName}/${req.method.name}`)
          ? o.reads.budget.take(caller.userId)
          : 0;
        if (waitSeconds) throw errors.rateLimited(waitSeconds, 'too many reads; slow down');
      } else if (!pub?.anonymous.has(req.method.name)) {
        throw new AppError(
          ErrorCode.UNAUTHENTICATED,
          'this call needs an access token (Authorization: Bearer ...)',
        );
      }
      const nul = req.stream ? undefined : nulField(req.method.input, req.message);
      if (nul !== undefined) {
        throw errors.invalidArgument(`${nul} contains a NUL character, which text may not hold`, nul);
      }
      const res = await next(req);
      res.header.set('x-request-id', requestId);
      return res;
    } catch (err) {
      const ce = forClient(toConnectError(err));
      code = Code[ce.code];
      ce.metadata.set('x-request-id', requestId);
      if (ce.code === Code.Internal || ce.code === Code.Unknown) {
        o.logger.error({ err, request_id: requestId, rpc: method }, 'rpc failed');
      }
      throw ce;
    } finally {
      o.requests.inc({ method, code });
      o.latency.observe({ method }, (performance.now() - started) / 1000);
      o.logger.debug(
        { request_id: requestId, rpc: method, status: code, ms: Math.round(performance.now() - started) },
        'rpc',
      );
    }
  };

  async function authenticate(token: string): Promise<Caller> {
    const claims = await o.tokens.verify(token);
    if (await o.revocations.reason(claims.sessionId)) {
      throw new AppError(ErrorCode.SESSION_REVOKED, 'this session has ended; log in again');
    }
    return {
      userId: claims.userId,
      sessionId: claims.sessionId,
      clientType: claims.clientType,
      deviceId: claims.deviceId,
    };
  }

  const router = createConnectRouter({
    // Enforced (with a stable code) by withEdgeErrors; kept here for compressed bodies.
    readMaxBytes: o.maxBodyBytes,
    acceptCompression: EDGE_COMPRESSION,
  });
  for (const { service, client } of o.services)
    router.service(service, proxy(service, client) as never, { interceptors: [auth] });
  const paths = new Map(
    router.handlers.map((h) => [
      h.requestPath,
      withEdgeErrors(h, {
        maxBodyBytes: o.maxBodyBytes,
        logger: o.logger,
        state: (req) => ({
          reached: req.contextValues?.get(kReached) ?? { reached: false },
          requestId: req.contextValues?.get(kRequestId) ?? '',
        }),
      }),
    ]),
  );

  return (req, res) => {
    const handler = paths.get(req.url?.split('?', 2)[0] ?? '');
    if (!handler) {
      res.writeHead(404).end();
      return;
    }
    const given = String(req.headers['x-request-id'] ?? '');
    const values = createContextValues()
      .set(kClientIp, o.proxies.clientAddress(req))
      .set(kRequestId, SAFE_REQUEST_ID.test(given) ? given : randomUUID())
      .set(kReached, { reached: false });
    handler(universalRequestFromNodeRequest(req, res, undefined, values))
      .then((uRes) => universalResponseToNodeResponse(uRes, res))
      .catch((err: unknown) => {
        // Aborted: the client left mid-request; there is nobody to answer.
        if (ConnectError.from(err).code === Code.Aborted) return;
        o.logger.warn({ err, rpc: handler.method.name }, 'rpc edge failed to answer');
        if (!res.headersSent) res.writeHead(500).end();
      });
  };

  /**
   * An implementation of `service` that forwards every unary call through its client. The
   * forwarded headers are built here from verified values only; nothing a client sent
   * (identity headers included) passes through.
   */
  function proxy(service: DescService, peerClient: object) {
    const client = peerClient as Record<string, (req: unknown, opts: object) => Promise<unknown>>;
    const impl: Record<string, (req: unknown, ctx: HandlerContext) => Promise<unknown>> = {};
    for (const m of service.methods) {
      if (m.methodKind !== 'unary') continue;
      impl[m.localName] = (req, ctx) =>
        client[m.localName]!(req, {
          signal: ctx.signal,
          timeoutMs: Math.min(ctx.timeoutMs() ?? o.timeoutMs, o.timeoutMs),
          headers: callHeaders({
            requestId: ctx.values.get(kRequestId),
            clientIp: ctx.values.get(kClientIp),
            caller: ctx.values.get(kCaller),
          }),
        });
    }
    return impl;
  }
}
