import { randomBytes } from 'node:crypto';
import { create, isMessage } from '@bufbuild/protobuf';
import { Code, ConnectError } from '@connectrpc/connect';
import { common, message } from '@mychat/protocol';
import { callHeaders, callInfoOfRecord, type Caller } from '../rpc/call-context.js';
import { peerBusy, type RpcHub } from '../rpc/rpc-hub.js';
import { MAX_SEND_BATCH } from '../contracts/limits.js';
import type { PeerClient } from './peers.js';

/** Who a batched send is for: the verified caller, and the request id that traces it. */
export interface SendOrigin {
  caller: Caller;
  requestId: string;
}

type MessageClient = PeerClient<'message'>['public'];

/**
 * The gateway's message client for its sockets' sends: the plain client when the message
 * service runs in this process (a call is a function call; a turn's wait would only add
 * latency) or is reached over a socket worker's link (whose frames of one turn already go
 * in one write), else one whose SendMessage goes in one SendMessageBatch call per event-loop
 * turn. Which one is decided at the first send, once every local service is registered.
 */
export function batchRemoteSends(hub: RpcHub, clients: PeerClient<'message'>): MessageClient {
  let batched: SendBatcher | undefined | null;
  const sendMessage: MessageClient['sendMessage'] = (req, opts) => {
    // Over a socket worker's link the calls of a turn already leave in one write.
    batched ??=
      hub.isLocal(message.MessageInternalService) || hub.linked
        ? null
        : sendBatcher({
            batch: (sends) =>
              clients.internal.sendMessageBatch(
                { sends },
                { headers: callHeaders({ requestId: newBatchId() }) },
              ),
            single: (r, o) => clients.public.sendMessage(r, { headers: callHeaders(o) }),
            maxInFlight: hub.maxInFlightPerPeer,
            onShed: () => hub.countShed('message'),
          });
    // The gateway's request handler passes a plain record (callHeaders); anything else goes alone.
    const h = opts?.headers;
    const plain = h && !(h instanceof Headers) && !Array.isArray(h);
    const info = batched && plain ? callInfoOfRecord(h as Record<string, string>) : undefined;
    // A send on nobody's behalf cannot ride in a batch (each entry names its caller).
    if (!batched || !info?.caller) return clients.public.sendMessage(req, opts);
    // The sockets pass the decoded frame's message as is; an init object is completed once.
    const full = isMessage(req, message.SendMessageRequestSchema)
      ? req
      : create(message.SendMessageRequestSchema, req);
    return batched(full, { caller: info.caller, requestId: info.requestId });
  };
  return { ...clients.public, sendMessage };
}

/** A batch call's own request id (each send in it keeps its own); random per process. */
let batchCount = 0;
const BATCH_PREFIX = `batch-${randomBytes(6).toString('base64url')}`;
const newBatchId = () => `${BATCH_PREFIX}-${(++batchCount).toString(36)}`;

export type SendBatcher = (
  req: message.SendMessageRequest,
  origin: SendOrigin,
) => Promise<message.SendMessageResponse>;

/** How a {@link sendBatcher} reaches the message service. */
export interface SendCalls {
  /** One SendMessageBatch call. */
  batch(sends: message.BatchedSend[]): Promise<message.SendMessageBatchResponse>;
  /** One SendMessage call on behalf of the socket's caller. */
  single(req: message.SendMessageRequest, origin: SendOrigin): Promise<message.SendMessageResponse>;
  /**
   * Most sends waiting on the message service at once (in calls or about to be): beyond it a
   * send is refused at once with UNAVAILABLE, as `rpc.maxInFlightPerPeer` refuses calls, so a
   * batch counting as one call does not let a backlog grow unbounded.
   */
  maxInFlight?: number;
  /** Called for each send refused that way (the shed counter). */
  onShed?: () => void;
}

/** How long a gateway sends one by one after a message service said it has no SendMessageBatch, ms. */
const UNBATCHED_FOR_MS = 60_000;

/**
 * Gathers the sends of one event-loop turn, from every socket of this gateway, into
 * SendMessageBatch calls: in the split topology each internal call costs both processes
 * more than the send it carries (HTTP/2 stream, headers, deadline signal). Each send still
 * gets its own answer or error, the same as SendMessage would give; a call that fails as a
 * whole fails every send in it with that error (UNAVAILABLE when the message service is
 * shedding load), and the clients retry with the same client message id. A message service
 * of an older release (UNIMPLEMENTED, during a rolling upgrade) gets the sends one by one.
 */
export function sendBatcher(calls: SendCalls, now: () => number = () => performance.now()): SendBatcher {
  interface Pending {
    req: message.SendMessageRequest;
    origin: SendOrigin;
    resolve: (r: message.SendMessageResponse) => void;
    reject: (err: unknown) => void;
  }
  let pending: Pending[] = [];
  let unbatchedUntil = Number.NEGATIVE_INFINITY;
  const cap = calls.maxInFlight ?? Number.POSITIVE_INFINITY;
  /** Sends pending or in calls not yet answered. */
  let waiting = 0;
  const one = (p: Pending) => calls.single(p.req, p.origin).then(p.resolve, p.reject);
  const flush = () => {
    const all = pending;
    pending = [];
    for (let i = 0; i < all.length; i += MAX_SEND_BATCH) {
      const part = all.slice(i, i + MAX_SEND_BATCH);
      const sends = part.map(({ req, origin }) => {
        const { userId, sessionId, clientType, deviceId } = origin.caller;
        const requestId = origin.requestId;
        return create(message.BatchedSendSchema, {
          userId,
          sessionId,
          clientType,
          deviceId,
          requestId,
          request: req,
        });
      });
      calls.batch(sends).then(
        (res) => part.forEach((p, j) => settle(p, res.results[j])),
        (err: unknown) => {
          if (err instanceof ConnectError && err.code === Code.Unimplemented) {
            unbatchedUntil = now() + UNBATCHED_FOR_MS;
            part.forEach(one);
          } else part.forEach((p) => p.reject(err));
        },
      );
    }
  };
  const settle = (p: Pending, r: message.BatchedSendResult | undefined) => {
    if (r?.result.case === 'ack') return p.resolve(r.result.value);
    if (r?.result.case === 'error') {
      const e = r.result.value;
      const details = e.info ? [{ desc: common.ErrorInfoSchema, value: e.info }] : [];
      return p.reject(new ConnectError(e.message, e.status as Code, undefined, details));
    }
    p.reject(new ConnectError('the message service gave no answer for this send', Code.Internal));
  };
  return (req, origin) => {
    if (waiting >= cap) {
      calls.onShed?.();
      return Promise.reject(peerBusy('message'));
    }
    waiting++;
    return new Promise<message.SendMessageResponse>((resolve, reject) => {
      if (now() < unbatchedUntil) return void one({ req, origin, resolve, reject });
      if (!pending.length) setImmediate(flush);
      pending.push({ req, origin, resolve, reject });
    }).finally(() => waiting--);
  };
}
