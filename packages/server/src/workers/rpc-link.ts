import {
  create,
  fromBinary,
  toBinary,
  type DescMessage,
  type DescMethodUnary,
  type DescService,
  type MessageInitShape,
} from '@bufbuild/protobuf';
import { Code, ConnectError, type Transport, type UnaryResponse } from '@connectrpc/connect';
import { toConnectError } from '../kernel/errors.js';
import { LightHeaders } from '../rpc/light-headers.js';
import type { RpcHub } from '../rpc/rpc-hub.js';
import { SERVICE_APIS } from '../wiring/peers.js';
import type { Link, Reply } from './link.js';
import { Ask, type Reader, type Writer } from './wire.js';

/** A call without a deadline (the hub always sets one; kept for completeness). */
const NO_DEADLINE = 0xffff_ffff;

type HeaderInit = ConstructorParameters<typeof Headers>[0];

/**
 * The worker's transport to every service: each unary call is one request frame on the link
 * (service, method, deadline, headers, the request in protobuf binary) and one response (the
 * answer, or the error with its code and details, e.g. ErrorInfo). The primary runs it on
 * its own hub as any in-process call, so what a call means does not change: same deadline,
 * same request id, same errors. A caller that aborts stops waiting (CANCELED); the primary
 * finishes the call and its answer is dropped.
 */
export function linkTransport(link: Link): Transport {
  return {
    async unary<I extends DescMessage, O extends DescMessage>(
      method: DescMethodUnary<I, O>,
      signal: AbortSignal | undefined,
      timeoutMs: number | undefined,
      header: HeaderInit | undefined,
      input: MessageInitShape<I>,
    ): Promise<UnaryResponse<I, O>> {
      if (signal?.aborted) throw new ConnectError('the call was cancelled', Code.Canceled);
      const bytes = toBinary(method.input, create(method.input, input));
      const answer = link.request(Ask.call, (w) => {
        w.str(method.parent.typeName).str(method.name);
        w.u32(timeoutMs === undefined ? NO_DEADLINE : Math.max(0, Math.ceil(timeoutMs)));
        writeHeaders(w, header);
        w.bytes(bytes);
      });
      const body = await (signal ? untilAborted(answer, signal) : answer);
      return {
        stream: false,
        service: method.parent,
        method,
        header: new LightHeaders(),
        message: fromBinary(method.output, body.bytes()),
        trailer: new LightHeaders(),
      };
    },
    stream() {
      // No service the gateway reaches has a streaming method.
      return Promise.reject(new ConnectError('streaming calls do not cross the link', Code.Unimplemented));
    },
  };
}

function untilAborted<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new ConnectError('the call was cancelled', Code.Canceled));
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

function writeHeaders(w: Writer, header: HeaderInit | undefined): void {
  if (!header) return void w.u32(0);
  if (Array.isArray(header)) {
    w.u32(header.length);
    for (const [k, v] of header as [string, string][]) w.str(k).str(v);
    return;
  }
  if (typeof (header as Partial<Headers>).forEach === 'function') {
    const list: [string, string][] = [];
    (header as Headers).forEach((v, k) => list.push([k, v]));
    w.u32(list.length);
    for (const [k, v] of list) w.str(k).str(v);
    return;
  }
  const entries = Object.entries(header as Record<string, string>);
  w.u32(entries.length);
  for (const [k, v] of entries) w.str(k).str(v);
}

/** The primary's side: runs the calls its workers send, on its hub. */
export class CallServer {
  private readonly methods = new Map<string, DescMethodUnary>();

  constructor(private readonly hub: RpcHub) {
    const services: DescService[] = Object.values(SERVICE_APIS).flatMap((apis) => Object.values(apis));
    for (const s of services)
      for (const m of s.methods)
        if (m.methodKind === 'unary') this.methods.set(`${s.typeName}/${m.name}`, m as DescMethodUnary);
  }

  serve(r: Reader, reply: Reply): void {
    const service = r.str();
    const name = r.str();
    const timeout = r.u32();
    const header = new LightHeaders();
    for (let n = r.u32(); n > 0; n--) header.append(r.str(), r.str());
    const method = this.methods.get(`${service}/${name}`);
    if (!method) throw new ConnectError(`${service}.${name} is not implemented`, Code.Unimplemented);
    const input = fromBinary(method.input, r.bytes());
    this.hub.call(method, timeout === NO_DEADLINE ? undefined : timeout, header, input).then(
      (res) => reply.ok((w) => w.bytes(toBinary(method.output, res.message))),
      (err: unknown) => reply.fail(toConnectError(err)),
    );
  }
}
