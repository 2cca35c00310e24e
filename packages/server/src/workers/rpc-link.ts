import {
  create,
  fromBinary,
  toBinary,
  type DescMessage,
  type DescMethodUnary,
  type DescService,
  type Message,
  type MessageInitShape,
  type MessageShape,
} from '@bufbuild/protobuf';
import { message } from '@mychat/protocol';
import {
  decodeSendMessageResponse,
  encodeSendMessageResponse,
  knownEncoding,
} from '../contracts/push-envelope.js';
import { Code, ConnectError, type Transport, type UnaryResponse } from '@connectrpc/connect';
import { toConnectError } from '../kernel/errors.js';
import { Meta } from '../rpc/call-context.js';
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
      // A socket's send comes with the bytes the client sent (ws-codec.ts): they go as they are.
      const bytes = knownEncoding(input) ?? toBinary(method.input, create(method.input, input));
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
        message: decodeOutput(method.output, body.bytes()),
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

/** Header names every call carries (call-context.ts), sent as their index instead of their text. */
const KNOWN_HEADERS: readonly string[] = Object.values(Meta);
const HEADER_INDEX = new Map(KNOWN_HEADERS.map((h, i) => [h, i + 1]));

function writeHeaders(w: Writer, header: HeaderInit | undefined): void {
  let list: [string, string][];
  if (!header) list = [];
  else if (Array.isArray(header)) list = header as [string, string][];
  else if (typeof (header as Partial<Headers>).forEach === 'function') {
    list = [];
    (header as Headers).forEach((v, k) => list.push([k, v]));
  } else list = Object.entries(header as Record<string, string>);
  w.u32(list.length);
  for (const [k, v] of list) {
    const known = HEADER_INDEX.get(k.toLowerCase());
    if (known) w.u8(known);
    else w.u8(0).str(k);
    w.str(v);
  }
}

function readHeaders(r: Reader): Record<string, string> {
  // A plain record: the hub's transport makes its own headers object from it.
  const header: Record<string, string> = {};
  for (let n = r.u32(); n > 0; n--) {
    const known = r.u8();
    const k = known ? KNOWN_HEADERS[known - 1] : r.str();
    if (k === undefined) throw new Error(`unknown header index ${known}`);
    header[k] = r.str();
  }
  return header;
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
    const header = readHeaders(r);
    const method = this.methods.get(`${service}/${name}`);
    if (!method) throw new ConnectError(`${service}.${name} is not implemented`, Code.Unimplemented);
    const input = fromBinary(method.input, r.bytes());
    this.hub.call(method, timeout === NO_DEADLINE ? undefined : timeout, header, input).then(
      (res) => reply.ok((w) => w.bytes(encodeOutput(method.output, res.message))),
      (err: unknown) => reply.fail(toConnectError(err)),
    );
  }
}

/** The answer of a call in binary: a send's answer reuses its message's encoding (push-envelope.ts). */
function encodeOutput(schema: DescMessage, m: Message): Uint8Array {
  return schema === message.SendMessageResponseSchema
    ? encodeSendMessageResponse(m as message.SendMessageResponse)
    : toBinary(schema, m);
}

/** The answer read back; a send's keeps its message's bytes for the ack frame. */
function decodeOutput<O extends DescMessage>(schema: O, bytes: Uint8Array): MessageShape<O> {
  return (
    (schema as DescMessage) === message.SendMessageResponseSchema
      ? decodeSendMessageResponse(bytes)
      : fromBinary(schema, bytes)
  ) as MessageShape<O>;
}
