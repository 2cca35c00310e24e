import { randomBytes } from 'node:crypto';
import { create } from '@bufbuild/protobuf';
import type { Client } from '@connectrpc/connect';
import { gateway, message } from '@mychat/protocol';
import type { Clock } from '../../kernel/clock.js';
import { ErrorCode } from '../../kernel/errors.js';
import { callHeaders, type Caller } from '../../rpc/call-context.js';
import { MAX_DELIVERED_BATCH } from '../../contracts/limits.js';
import { errorFrame, serverFrame } from './ws-codec.js';
import { callFrames, type SocketCalls } from './ws-calls.js';

/** The client frames that are requests (everything but `auth`). */
export type RequestBody = Exclude<gateway.ClientFrame['body'], { case: 'auth' } | { case: undefined }>;

/** Who asks, from where, and the id that traces the call through the services. */
export interface RequestOrigin {
  caller: Caller;
  clientIp: string;
  requestId: string;
  /** When the frame was read off the socket, performance.now() (for the Pong's server_recv_ms). */
  receivedAt?: number;
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

/** The message service as the sockets reach it (the wiring batches remote sends). */
export interface SocketMessages {
  public: Client<typeof message.MessageService>;
  internal: Client<typeof message.MessageInternalService>;
}

/**
 * The request frames, forwarded to the message service with the verified identity of the
 * socket (never anything the client put in the frame). Ping is answered here.
 */
export function createRequestHandler(m: SocketMessages, clock: Clock, calls?: SocketCalls): RequestHandler {
  const messages = m.public;
  const call = callFrames(calls);
  const delivered = deliveredBatcher(m.internal);
  return async (id, body, origin) => {
    const opts = {
      headers: callHeaders({ requestId: origin.requestId, clientIp: origin.clientIp, caller: origin.caller }),
    };
    switch (body.case) {
      case 'ping': {
        // The four-timestamp clock: received and sent, both on the server's clock.
        const sent = clock.now();
        const recv = sent - (origin.receivedAt === undefined ? 0 : performance.now() - origin.receivedAt);
        return serverFrame(id, {
          case: 'pong',
          value: create(gateway.PongSchema, {
            clientTimeMs: body.value.clientTimeMs,
            serverTimeMs: sent,
            serverRecvMs: recv,
            serverSendMs: sent,
          }),
        });
      }
      case 'send':
        return serverFrame(id, { case: 'sendAck', value: await messages.sendMessage(body.value, opts) });
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
      case 'startCall':
      case 'updateCall':
      case 'callSignal':
        return call(id, body, opts);
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
function deliveredBatcher(
  internal: SocketMessages['internal'],
): (userId: string, conversationId: string, seq: number) => void {
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
