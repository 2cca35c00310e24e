import {
  create,
  type DescMessage,
  type DescMethod,
  type DescMethodUnary,
  type DescService,
  type MessageInitShape,
} from '@bufbuild/protobuf';
import {
  Code,
  ConnectError,
  createContextValues,
  type ContextValues,
  type HandlerContext,
  type Transport,
  type UnaryResponse,
} from '@connectrpc/connect';
import { randomUUID } from 'node:crypto';
import { AppError, toConnectError } from '../kernel/errors.js';
import { runInRequest } from '../kernel/request-context.js';
import { Meta } from './call-context.js';
import { LightHeaders } from './light-headers.js';

/** A registered implementation: method local name -> handler. */
type Impl = Record<string, ((req: unknown, ctx: HandlerContext) => unknown) | undefined>;

export interface DirectTransportOptions {
  /** The implementation of a locally registered service, or undefined. */
  implOf(service: DescService): Impl | undefined;
  /** Called after every call, with its outcome (metrics, debug log). */
  observed(service: DescService, method: DescMethod, code: string, ms: number, requestId: string): void;
  /**
   * Called with an error that is neither an AppError nor a ConnectError (a bug): the caller
   * gets only "internal error", so its cause must be logged here, with the request id.
   */
  unexpected(err: unknown, service: DescService, method: DescMethod, requestId: string): void;
  /** Handles what the direct path does not (streaming methods). */
  fallback: () => Transport;
}

/** A signal that never aborts, for calls that bring none (deadlines are enforced by a timer). */
const NEVER = new AbortController().signal;

/**
 * Calls a service that runs in this process as a function call: the request object is
 * handed to the implementation and its answer is returned, without encoding either to
 * bytes and back (what Connect's router transport does, and most of an in-process call's
 * cost). What a call means does not change: the implementation sees the same handler
 * context (headers, deadline, request id in the request context), errors reach the caller
 * as the ConnectError the wire would carry, the caller stops waiting at the deadline, and
 * both request and answer are full messages of their schema (`create` fills defaults and
 * drops anything that is not a field, as decoding would). The internal token is not
 * checked: nothing outside this process can reach this path.
 */
export function createDirectTransport(o: DirectTransportOptions): Transport {
  return {
    async unary<I extends DescMessage, O extends DescMessage>(
      method: DescMethodUnary<I, O>,
      signal: AbortSignal | undefined,
      timeoutMs: number | undefined,
      header: ConstructorParameters<typeof Headers>[0] | undefined,
      input: MessageInitShape<I>,
      contextValues?: ContextValues,
    ): Promise<UnaryResponse<I, O>> {
      const service = method.parent;
      const impl = o.implOf(service);
      const fn = impl?.[method.localName];
      const started = performance.now();
      const requestHeader = new LightHeaders(header);
      const requestId = requestHeader.get(Meta.requestId) || randomUUID();
      let code = 'ok';
      try {
        if (!fn)
          throw new ConnectError(`${service.typeName}.${method.name} is not implemented`, Code.Unimplemented);
        if (signal?.aborted) throw new ConnectError('the call was cancelled', Code.Canceled);
        const deadline = timeoutMs === undefined ? undefined : started + timeoutMs;
        const ctx = handlerContext(service, method, requestHeader, signal, deadline, contextValues);
        const req = create(method.input, input);
        const call = runInRequest({ requestId, deadline }, () => Promise.resolve(fn.call(impl, req, ctx)));
        const answer = await withDeadline(call, timeoutMs, signal);
        return {
          stream: false,
          service,
          method,
          header: ctx.responseHeader,
          message: create(method.output, answer as never),
          trailer: ctx.responseTrailer,
        };
      } catch (err) {
        const ce = toConnectError(err);
        code = Code[ce.code];
        if (!(err instanceof AppError) && !(err instanceof ConnectError))
          o.unexpected(err, service, method, requestId);
        throw ce;
      } finally {
        o.observed(service, method, code, performance.now() - started, requestId);
      }
    },
    stream(method, signal, timeoutMs, header, input, contextValues) {
      return o.fallback().stream(method, signal, timeoutMs, header, input, contextValues);
    },
  };
}

function handlerContext(
  service: DescService,
  method: DescMethod,
  requestHeader: Headers,
  signal: AbortSignal | undefined,
  deadline: number | undefined,
  values: ContextValues | undefined,
): HandlerContext {
  let responseHeader: Headers | undefined;
  let responseTrailer: Headers | undefined;
  return {
    service,
    method,
    requestMethod: 'POST',
    protocolName: 'in-process',
    url: `/${service.typeName}/${method.name}`,
    signal: signal ?? NEVER,
    timeoutMs: () => (deadline === undefined ? undefined : deadline - performance.now()),
    requestHeader,
    get responseHeader() {
      return (responseHeader ??= new LightHeaders());
    },
    get responseTrailer() {
      return (responseTrailer ??= new LightHeaders());
    },
    values: values ?? createContextValues(),
  } as HandlerContext;
}

/** The call's answer, or DEADLINE_EXCEEDED / CANCELED when the caller stops waiting first. */
function withDeadline<T>(
  call: Promise<T>,
  timeoutMs: number | undefined,
  signal: AbortSignal | undefined,
): Promise<T> {
  if (timeoutMs === undefined && !signal) return call;
  return new Promise<T>((resolve, reject) => {
    const timer =
      timeoutMs === undefined
        ? undefined
        : setTimeout(
            () =>
              reject(new ConnectError(`the call took longer than ${timeoutMs} ms`, Code.DeadlineExceeded)),
            timeoutMs,
          );
    const onAbort = () => reject(new ConnectError('the call was cancelled', Code.Canceled));
    signal?.addEventListener('abort', onAbort, { once: true });
    call.then(resolve, reject).finally(() => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    });
  });
}
