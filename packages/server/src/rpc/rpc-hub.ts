import { randomUUID, timingSafeEqual } from 'node:crypto';
import type { DescMessage, DescMethodUnary, DescService, MessageShape } from '@bufbuild/protobuf';
import {
  Code,
  ConnectError,
  createClient,
  createRouterTransport,
  type Client,
  type ConnectRouter,
  type Interceptor,
  type ServiceImpl,
  type Transport,
  type UnaryResponse,
} from '@connectrpc/connect';
import { createGrpcTransport } from '@connectrpc/connect-node';
import type { Counter, Histogram } from 'prom-client';
import type { Logger } from 'pino';
import { AppError, ErrorCode, toConnectError } from '../kernel/errors.js';
import { currentRequest, remainingMs, runInRequest, timeoutFromHeaders } from '../kernel/request-context.js';
import { Meta } from './call-context.js';
import { LightHeaders } from './light-headers.js';
import { createDirectTransport } from './direct-transport.js';
import { INTERNAL_SESSION_MEMORY_MB } from './http2-session.js';

interface Registration {
  service: DescService;
  impl: Partial<ServiceImpl<DescService>>;
}

export interface RpcHubOptions {
  /** The shared secret every internal call must carry. */
  internalToken: string;
  /** Where services that do not run in this process are: service type name or short name -> URL. */
  peers: Record<string, string>;
  /** Deadline for internal calls that set none. */
  defaultTimeoutMs: number;
  logger: Logger;
  rpcDuration?: Histogram<'service' | 'method' | 'code'>;
  /** Counts calls refused because too many were in flight to a peer. */
  rpcShed?: Counter<'peer'>;
  /**
   * Route calls to services in this process through Connect's in-memory transport (each
   * request and answer encoded and decoded) instead of calling them directly. For tests
   * that want the wire's behaviour in one process; the default is the direct call.
   */
  serialiseLocalCalls?: boolean;
  /**
   * Most calls in flight at once on the connection to one peer. A call beyond it fails at
   * once with UNAVAILABLE (retry after 1 s) instead of queueing on the connection, so an
   * overloaded service sheds load at its callers instead of buffering without bound.
   */
  maxInFlightPerPeer?: number;
  /**
   * Where every service that is not in this process goes, instead of a gRPC peer: a socket
   * worker's link to its primary (which runs the services, or reaches their peers itself).
   */
  outbound?: Transport;
}

/**
 * Where services meet. A service module registers its implementation here; anyone who
 * needs a service asks for a client. The client reaches the implementation in this
 * process as a direct function call when it is registered here (see direct-transport.ts), and over gRPC
 * (HTTP/2) to a configured peer otherwise, so no module knows where its peer runs.
 */
export class RpcHub {
  private readonly registrations: Registration[] = [];
  private local: Transport | undefined;
  private readonly direct: Transport = createDirectTransport({
    implOf: (service) =>
      this.registrations.find((r) => r.service.typeName === service.typeName)?.impl as
        Record<string, never> | undefined,
    observed: (service, method, code, ms, requestId) => {
      this.opts.rpcDuration?.observe({ service: service.typeName, method: method.name, code }, ms / 1000);
      if (this.opts.logger.isLevelEnabled('debug'))
        this.opts.logger.debug({ request_id: requestId, rpc: method.name, status: code, ms }, 'rpc handled');
    },
    unexpected: (err, _service, method, requestId) =>
      this.opts.logger.error(
        { err, request_id: requestId, rpc: method.name },
        'unexpected error in rpc handler',
      ),
    fallback: () => this.routerTransport(),
  });
  private readonly remote = new Map<string, Transport>();

  constructor(private readonly opts: RpcHubOptions) {}

  register<S extends DescService>(service: S, impl: Partial<ServiceImpl<S>>): void {
    this.registrations.push({ service, impl: impl as Partial<ServiceImpl<DescService>> });
    // A call made before this registration built the in-process transport without it.
    this.local = undefined;
  }

  /** How many services are registered in this process. */
  get size(): number {
    return this.registrations.length;
  }

  /** Most calls in flight to one peer (`rpc.maxInFlightPerPeer`); unbounded when unset. */
  get maxInFlightPerPeer(): number {
    return this.opts.maxInFlightPerPeer ?? Number.POSITIVE_INFINITY;
  }

  /** Counts a call (or a batched send) refused because too much was in flight to `peer`. */
  countShed(peer: string): void {
    this.opts.rpcShed?.inc({ peer });
  }

  /** True when the service runs in this process. */
  isLocal(service: DescService): boolean {
    return this.registrations.some((r) => r.service.typeName === service.typeName);
  }

  /** True when services not in this process are reached over a socket worker's link to its primary. */
  get linked(): boolean {
    return this.opts.outbound !== undefined;
  }

  /**
   * One unary call to `method`'s service wherever it runs, made for someone else (a socket
   * worker's call arriving over its link): the request is a message already, the deadline
   * and headers are the caller's.
   */
  call<I extends DescMessage, O extends DescMessage>(
    method: DescMethodUnary<I, O>,
    timeoutMs: number | undefined,
    header: HeaderInit,
    input: MessageShape<I>,
  ): Promise<UnaryResponse<I, O>> {
    return this.transportFor(method.parent).unary(
      method,
      undefined,
      timeoutMs ?? this.opts.defaultTimeoutMs,
      header,
      input,
    );
  }

  /** Registers every local service on a router (the internal gRPC server uses this). */
  routes(router: ConnectRouter): ConnectRouter {
    for (const r of this.registrations) {
      router.service(r.service, r.impl, { interceptors: [this.serverInterceptor()] });
    }
    return router;
  }

  /**
   * A client for a service, wherever it runs. The transport is chosen at the first call.
   * A call made while serving another (a service calling a service) inherits its request id
   * when it sets none, and never waits longer than the caller's remaining deadline.
   */
  client<S extends DescService>(service: S): Client<S> {
    const lazy: Transport = {
      unary: (method, signal, timeoutMs, header, input, values) =>
        this.transportFor(service).unary(
          method,
          signal,
          this.deadline(timeoutMs),
          withRequestId(header),
          input,
          values,
        ),
      stream: (method, signal, timeoutMs, header, input, values) =>
        this.transportFor(service).stream(
          method,
          signal,
          this.deadline(timeoutMs),
          withRequestId(header),
          input,
          values,
        ),
    };
    return createClient(service, lazy);
  }

  /** The timeout of an outgoing call: its own (or the default), capped by the caller's remaining time. */
  private deadline(timeoutMs: number | undefined): number {
    const own = timeoutMs ?? this.opts.defaultTimeoutMs;
    const left = remainingMs();
    return left === undefined ? own : Math.min(own, left);
  }

  private transportFor(service: DescService): Transport {
    if (this.isLocal(service)) return this.opts.serialiseLocalCalls ? this.routerTransport() : this.direct;
    if (this.opts.outbound) return this.opts.outbound;
    const short = service.typeName.split('.')[1] ?? service.typeName; // mychat.auth.v1.AuthService -> auth
    const url = this.opts.peers[service.typeName] ?? this.opts.peers[short];
    if (!url) {
      throw new ConnectError(
        `service ${service.typeName} is not in this process and no peer is configured`,
        Code.Unavailable,
      );
    }
    let t = this.remote.get(url);
    if (!t) {
      t = this.capped(
        short,
        createGrpcTransport({
          baseUrl: url,
          // The client side of one connection carries every call to that peer: as on the server.
          nodeOptions: { maxSessionMemory: INTERNAL_SESSION_MEMORY_MB },
          interceptors: [this.clientInterceptor()],
          defaultTimeoutMs: this.opts.defaultTimeoutMs,
        }),
      );
      this.remote.set(url, t);
    }
    return t;
  }

  /** `t` with at most `maxInFlightPerPeer` calls in flight; more fail with UNAVAILABLE. */
  private capped(peer: string, t: Transport): Transport {
    const cap = this.opts.maxInFlightPerPeer ?? Number.POSITIVE_INFINITY;
    let inFlight = 0;
    const admit = () => {
      if (inFlight >= cap) {
        this.countShed(peer);
        throw toConnectError(peerBusy(peer));
      }
      inFlight++;
    };
    return {
      async unary(...args) {
        admit();
        try {
          return await t.unary(...args);
        } finally {
          inFlight--;
        }
      },
      async stream(...args) {
        admit();
        try {
          return await t.stream(...args);
        } finally {
          inFlight--;
        }
      },
    };
  }

  /** Connect's in-memory transport: every call encoded and decoded as on the wire. */
  private routerTransport(): Transport {
    this.local ??= createRouterTransport((router) => this.routes(router), {
      transport: { interceptors: [this.clientInterceptor()], defaultTimeoutMs: this.opts.defaultTimeoutMs },
    });
    return this.local;
  }

  /** Adds the internal token to every outgoing call. */
  private clientInterceptor(): Interceptor {
    return (next) => (req) => {
      req.header.set(Meta.internalToken, this.opts.internalToken);
      return next(req);
    };
  }

  /** Refuses calls without the internal token, maps errors to stable codes, measures. */
  private serverInterceptor(): Interceptor {
    const expected = Buffer.from(this.opts.internalToken);
    return (next) => async (req) => {
      const started = performance.now();
      let code = 'ok';
      try {
        const got = Buffer.from(req.header.get(Meta.internalToken) ?? '');
        if (got.length !== expected.length || !timingSafeEqual(got, expected)) {
          throw new ConnectError('internal token required', Code.Unauthenticated);
        }
        const timeout = timeoutFromHeaders(req.header);
        const ctx = {
          requestId: req.header.get(Meta.requestId) || randomUUID(),
          deadline: timeout === undefined ? undefined : started + timeout,
        };
        return await runInRequest(ctx, () => next(req));
      } catch (err) {
        const ce = toConnectError(err);
        code = Code[ce.code];
        if (!(err instanceof AppError) && !(err instanceof ConnectError)) {
          this.opts.logger.error(
            { err, request_id: req.header.get(Meta.requestId), rpc: req.method.name },
            'unexpected error in rpc handler',
          );
        }
        throw ce;
      } finally {
        const seconds = (performance.now() - started) / 1000;
        this.opts.rpcDuration?.observe(
          { service: req.service.typeName, method: req.method.name, code },
          seconds,
        );
        this.opts.logger.debug(
          {
            request_id: req.header.get(Meta.requestId) ?? '',
            rpc: req.method.name,
            code,
            ms: seconds * 1000,
          },
          'rpc handled',
        );
      }
    };
  }
}

/** What a caller gets when too much is in flight to `peer` already: try again in a second. */
export function peerBusy(peer: string): AppError {
  return new AppError(ErrorCode.UNAVAILABLE, `the ${peer} service is busy; try again shortly`, {
    retryAfterSeconds: 1,
  });
}

/** Adds the current request's id to an outgoing call that names none. */
function withRequestId(header: HeaderInit | undefined): HeaderInit | undefined {
  const id = currentRequest()?.requestId;
  if (!id) return header;
  const h = new LightHeaders(header);
  if (!h.has(Meta.requestId)) h.set(Meta.requestId, id);
  return h;
}

type HeaderInit = ConstructorParameters<typeof Headers>[0];
