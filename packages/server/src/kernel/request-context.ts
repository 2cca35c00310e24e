import { AsyncLocalStorage } from 'node:async_hooks';
import { Code, ConnectError } from '@connectrpc/connect';

/** What a service handler knows about the call it serves, wherever its code runs. */
export interface RequestContext {
  /** The id that joins log lines of one request across gateway and services (`x-request-id`). */
  requestId: string;
  /** When the caller stops waiting, on the `performance.now()` clock; undefined without a deadline. */
  deadline: number | undefined;
}

const storage = new AsyncLocalStorage<RequestContext>();

/**
 * Runs `fn` as part of one request: log lines written meanwhile carry its `request_id`
 * (the loggers' mixin), and internal calls made meanwhile carry its request id and at most
 * its remaining deadline (the RPC hub's clients). Set by the RPC hub around every handler.
 */
export function runInRequest<T>(ctx: RequestContext, fn: () => T): T {
  return storage.run(ctx, fn);
}

/** The request the current code runs for, if any. */
export function currentRequest(): RequestContext | undefined {
  return storage.getStore();
}

/** Milliseconds left before the current request's deadline (at least 1), or undefined. */
export function remainingMs(): number | undefined {
  const d = storage.getStore()?.deadline;
  return d === undefined ? undefined : Math.max(1, Math.floor(d - performance.now()));
}

/**
 * Throws DEADLINE_EXCEEDED when the current request's caller has stopped waiting. Called
 * before expensive work (a SQL transaction): under overload, calls queue for a database
 * connection, and doing the work of a call nobody waits for any more (its client has
 * already retried) is how a busy service turns into a collapsing one.
 */
export function ensureTimeLeft(): void {
  const d = storage.getStore()?.deadline;
  if (d !== undefined && performance.now() >= d)
    throw new ConnectError('the caller stopped waiting; nothing was done', Code.DeadlineExceeded);
}

/**
 * A call's timeout from its headers: gRPC's `grpc-timeout` (`<n><H|M|S|m|u|n>`) or the
 * Connect protocol's `connect-timeout-ms`; undefined when there is none.
 */
export function timeoutFromHeaders(h: Headers): number | undefined {
  const connect = h.get('connect-timeout-ms');
  if (connect && /^\d{1,10}$/.test(connect)) return Number(connect);
  const grpc = /^(\d{1,8})([HMSmun])$/.exec(h.get('grpc-timeout') ?? '');
  if (!grpc) return undefined;
  const unitMs = { H: 3_600_000, M: 60_000, S: 1_000, m: 1, u: 1e-3, n: 1e-6 }[grpc[2] as 'H'];
  return Number(grpc[1]) * unitMs;
}
