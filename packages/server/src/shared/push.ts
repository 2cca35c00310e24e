import { create, toBinary, type MessageInitShape } from '@bufbuild/protobuf';
import { BinaryWriter, WireType } from '@bufbuild/protobuf/wire';
import { gateway, message } from '@mychat/protocol';
import type { Bus } from '../adapters/bus/bus.js';

/** A push frame (request_id 0) with the given body. */
export const pushFrame = (
  body: MessageInitShape<typeof gateway.ServerFrameSchema>['body'],
): gateway.ServerFrame => create(gateway.ServerFrameSchema, { body });

/** The bus channel of one user's live sockets, on whichever gateways they are. */
export const userChannel = (userId: string) => `u:${userId}`;

/**
 * Pushes one ServerFrame to users' sockets: encoded once, wrapped in a PushEnvelope and
 * published on each user's channel. Best effort: push is a hint, sync is the guarantee.
 * `exceptSessionId` skips the socket that caused the push (it already has the answer).
 */
export async function pushToUsers(
  bus: Bus,
  userIds: Iterable<string>,
  frame: gateway.ServerFrame,
  exceptSessionId = '',
): Promise<void> {
  const envelope = toBinary(
    gateway.PushEnvelopeSchema,
    create(gateway.PushEnvelopeSchema, {
      frame: encodeServerFrameBinary(frame),
      exceptSessionId,
    }),
  );
  const channels: string[] = [];
  for (const id of userIds) channels.push(userChannel(id));
  if (channels.length === 1) await bus.publish(channels[0]!, envelope);
  else if (channels.length) await bus.publishMany(channels, envelope);
}

/**
 * Where a Message object keeps its encoding, made once per object (see
 * {@link encodeServerFrameBinary}): a non-enumerable property of the object itself, not a
 * WeakMap. A WeakMap lives in the old generation, and V8's scavenges keep the young entries
 * of an old WeakMap alive: at 4 000 messages per second that promoted a third more objects
 * per scavenge, and filled the old generation sooner.
 */
const ENCODED = Symbol('mychat.encoded');

function messageBytes(m: message.Message): Uint8Array {
  const holder = m as message.Message & { [ENCODED]?: Uint8Array };
  let bytes = holder[ENCODED];
  if (!bytes) {
    bytes = toBinary(message.MessageSchema, m);
    Object.defineProperty(holder, ENCODED, { value: bytes, writable: true });
  }
  return bytes;
}

// ServerFrame and SendMessageResponse field numbers (proto/mychat/gateway/v1, message/v1).
const F_REQUEST_ID = 1;
const F_SEND_ACK = 12;
const F_MESSAGE = 14;
const F_ACK_MESSAGE = 1;
const F_ACK_DUPLICATE = 2;

/**
 * A ServerFrame in binary, the same bytes as `toBinary`. A new message goes out twice,
 * pushed to the members and inside the sender's ack, as the same Message object when
 * the service runs in this process: its encoding is made once and reused for both.
 */
export function encodeServerFrameBinary(frame: gateway.ServerFrame): Uint8Array {
  const body = frame.body;
  const m = body.case === 'message' ? body.value : body.case === 'sendAck' ? body.value.message : undefined;
  if (!m || frame.$unknown?.length || (body.case === 'sendAck' && body.value.$unknown?.length))
    return toBinary(gateway.ServerFrameSchema, frame);
  const w = new BinaryWriter();
  if (frame.requestId !== 0) w.tag(F_REQUEST_ID, WireType.Varint).uint32(frame.requestId);
  if (body.case === 'message') {
    w.tag(F_MESSAGE, WireType.LengthDelimited).bytes(messageBytes(m));
  } else {
    w.tag(F_SEND_ACK, WireType.LengthDelimited).fork();
    w.tag(F_ACK_MESSAGE, WireType.LengthDelimited).bytes(messageBytes(m));
    if (body.case === 'sendAck' && body.value.duplicate) w.tag(F_ACK_DUPLICATE, WireType.Varint).bool(true);
    w.join();
  }
  return w.finish();
}
