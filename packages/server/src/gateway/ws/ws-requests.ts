import { randomBytes } from 'node:crypto';
import { create } from '@bufbuild/protobuf';
import { Code, ConnectError } from '@connectrpc/connect';
import { common, gateway, message } from '@mychat/protocol';
import type { Clock } from '../../kernel/clock.js';
import { ErrorCode } from '../../kernel/errors.js';
import { callHeaders, type Caller } from '../../rpc/call-context.js';
import { peerBusy, type RpcHub } from '../../rpc/rpc-hub.js';
import { MAX_DELIVERED_BATCH } from '../../shared/delivered.js';
import { MAX_SEND_BATCH } from '../../shared/send-batch.js';
import { errorFrame, serverFrame } from './ws-codec.js';

/** The client frames that are requests (everything but `auth`). */
export type RequestBody = Exclude<gateway.ClientFrame['body'], { case: 'auth' } | { case: undefined }>;

/** Who asks, from where, and the id that traces the call through the services. */
export interface RequestOrigin {
  caller: Caller;
  clientIp: string;
  requestId: string;
}

/** Answers one request frame with the ServerFrame to send back. May throw (the caller maps errors). */
export type RequestHandler = (
  frameRequestId: number,
  body: RequestBody,
  origin: RequestOrigin,
) => Promise<gateway.ServerFrame>;

/** This process's part of its request ids: random, so ids of gateways and restarts differ. */
const REQUEST_ID_PREFIX = randomBytes(6).toString('base64url');
let requestCount = 0;

/**
 * A request id for the internal calls one frame causes (logs and traces join on it): the
 * process's prefix and a counter. One is made per frame; a random UUID each was a tenth of
 * what outlived the young generation at 4 500 messages per second.
 */
export const newRequestId = (): string => `${REQUEST_ID_PREFIX}-${(++requestCount).toString(36)}`;

const ok = () => create(gateway.OkSchema);

/**
 * The request frames, forwarded to the message service with the verified identity of the
 * socket (never anything the client put in the frame). Ping is answered here.
 */
export function createRequestHandler(hub: RpcHub, clock: Clock): RequestHandler {
  const messages = hub.client(message.MessageService);
  const internal = hub.client(message.MessageInternalService);
  const delivered = deliveredBatcher(hub);
  // Sends to a message service in another process go in one call per event-loop turn; in
  // this process a call is a function call, and a turn's wait would only add latency.
  let batched: SendBatcher | undefined | null;
  const send = (
    req: message.SendMessageRequest,
    origin: RequestOrigin,
    opts: { headers: Record<string, string> },
  ) => {
    batched ??= hub.isLocal(message.MessageInternalService)
      ? null
      : sendBatcher({
          batch: (sends) =>
            internal.sendMessageBatch({ sends }, { headers: callHeaders({ requestId: newRequestId() }) }),
          single: (r, o) => messages.sendMessage(r, { headers: callHeaders(o) }),
          maxInFlight: hub.maxInFlightPerPeer,
          onShed: () => hub.countShed('message'),
        });
    return batched ? batched(req, origin) : messages.sendMessage(req, opts);
  };
  return async (id, body, origin) => {
    const opts = {
      headers: callHeaders({ requestId: origin.requestId, clientIp: origin.clientIp, caller: origin.caller }),
    };
    switch (body.case) {
      case 'ping':
        return serverFrame(id, {
          case: 'pong',
          value: create(gateway.PongSchema, {
            clientTimeMs: body.value.clientTimeMs,
            serverTimeMs: clock.now(),
          }),
        });
      case 'send':
        return serverFrame(id, { case: 'sendAck', value: await send(body.value, origin, opts) });
      case 'delivered':
        // Fire and forget (request id 0, the clients' own acknowledgements): gathered into
        // one internal call per event-loop turn for all users of this gateway.
        if (id === 0) delivered(origin.caller.userId, body.value.conversationId, body.value.seq);
        else await messages.markDelivered(body.value, opts);
        return serverFrame(id, { case: 'ok', value: ok() });
      case 'read':
        await messages.markRead(body.value, opts);
        return serverFrame(id, { case: 'ok', value: ok() });
      case 'typing':
        await messages.sendTyping(body.value, opts);
        return serverFrame(id, { case: 'ok', value: ok() });
      case 'sync':
        return serverFrame(id, { case: 'sync', value: await messages.sync(body.value, opts) });
      case 'history':
        return serverFrame(id, { case: 'history', value: await messages.getHistory(body.value, opts) });
      default: {
        // A case added to the proto but not handled here yet: tell the client, keep the socket.
        const unhandled: { case: string } = body;
        return errorFrame(id, ErrorCode.UNKNOWN_FRAME, `frame type ${unhandled.case} is not supported`);
      }
    }
  };
}

/**
 * Gathers delivered cursors of one event-loop turn and sends them in MarkDeliveredBatch
 * calls: at a high message rate there is one acknowledgement per message, and in the split
 * topology each internal call costs the message service more than the cursor itself.
 */
function deliveredBatcher(hub: RpcHub): (userId: string, conversationId: string, seq: number) => void {
  const internal = hub.client(message.MessageInternalService);
  let pending: message.DeliveredCursor[] = [];
  const flush = () => {
    const all = pending;
    pending = [];
    for (let i = 0; i < all.length; i += MAX_DELIVERED_BATCH) {
      const cursors = all.slice(i, i + MAX_DELIVERED_BATCH);
      // A lost acknowledgement is superseded by the next one; a failed batch is dropped.
      internal
        .markDeliveredBatch({ cursors }, { headers: callHeaders({ requestId: newRequestId() }) })
        .catch(() => undefined);
    }
  };
  return (userId, conversationId, seq) => {
    if (!pending.length) setImmediate(flush);
    pending.push(create(message.DeliveredCursorSchema, { userId, conversationId, seq }));
  };
}

export type SendBatcher = (
  req: message.SendMessageRequest,
  origin: RequestOrigin,
) => Promise<message.SendMessageResponse>;

/** How a {@link sendBatcher} reaches the message service. */
export interface SendCalls {
  /** One SendMessageBatch call. */
  batch(sends: message.BatchedSend[]): Promise<message.SendMessageBatchResponse>;
  /** One SendMessage call on behalf of the socket's caller. */
  single(req: message.SendMessageRequest, origin: RequestOrigin): Promise<message.SendMessageResponse>;
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
    origin: RequestOrigin;
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
