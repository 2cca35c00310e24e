import { create, fromBinary, toBinary, type MessageInitShape } from '@bufbuild/protobuf';
import { WireType } from '@bufbuild/protobuf/wire';
import { gateway, message } from '@mychat/protocol';
import type { Bus } from '../adapters/bus/bus.js';
import { pooledBytes } from '../kernel/pooled-bytes.js';

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
  const envelope = encodePushEnvelope(frame, exceptSessionId);
  const channels: string[] = [];
  for (const id of userIds) channels.push(userChannel(id));
  if (channels.length === 1) await bus.publish(channels[0]!, envelope);
  else if (channels.length) await bus.publishMany(channels, envelope);
}

/**
 * Every field the hand-written writer below puts on the wire, by message, with its number.
 * A field of these messages missing here would be silently dropped on the fast path, so
 * push-envelope.test.ts checks this list against the generated schemas: a field added to the
 * .proto fails that test until the writer writes it (or hands the frame to `toBinary`).
 * `otherCasesOf`: the oneof whose cases not listed go to the generated encoder whole.
 */
export const WRITTEN_FIELDS = {
  'mychat.gateway.v1.PushEnvelope': { fields: { frame: 1, exceptSessionId: 2 } },
  'mychat.gateway.v1.ServerFrame': {
    fields: { requestId: 1, sendAck: 12, message: 14 },
    otherCasesOf: 'body',
  },
  'mychat.message.v1.SendMessageResponse': { fields: { message: 1, duplicate: 2 } },
} as const;

const ENV = WRITTEN_FIELDS['mychat.gateway.v1.PushEnvelope'].fields;
const F_ENV_FRAME = ENV.frame;
const F_ENV_EXCEPT = ENV.exceptSessionId;

/**
 * A PushEnvelope in binary (the same bytes as `toBinary`), the frame written in place: one
 * buffer of the exact size, from Node's pool of small buffers, instead of a writer that
 * grows its own buffer twice for the frame and twice more for the envelope around it.
 */
export function encodePushEnvelope(frame: gateway.ServerFrame, exceptSessionId = ''): Uint8Array {
  const l = frameLayout(frame);
  const inner = l ? l.size : toBinary(gateway.ServerFrameSchema, frame);
  const frameSize = typeof inner === 'number' ? inner : inner.length;
  const exceptSize = exceptSessionId ? Buffer.byteLength(exceptSessionId) : 0;
  const size =
    1 + varintSize(frameSize) + frameSize + (exceptSize ? 1 + varintSize(exceptSize) + exceptSize : 0);
  const buf = pooledBytes(size);
  let pos = putTag(buf, 0, F_ENV_FRAME, WireType.LengthDelimited);
  pos = putVarint(buf, pos, frameSize);
  if (typeof inner === 'number') pos = writeFrame(l!, buf, pos);
  else {
    buf.set(inner, pos);
    pos += frameSize;
  }
  if (exceptSize) {
    pos = putTag(buf, pos, F_ENV_EXCEPT, WireType.LengthDelimited);
    pos = putVarint(buf, pos, exceptSize);
    Buffer.from(buf.buffer, buf.byteOffset, buf.length).write(exceptSessionId, pos, 'utf8');
  }
  return buf;
}

/**
 * Reads a PushEnvelope as {@link encodePushEnvelope} writes it (what every publisher of this
 * version sends): the frame as a view of `bytes`, no copy, no message object. Anything else
 * (fields in another order, unknown fields) goes to the generated decoder.
 */
export function decodePushEnvelope(bytes: Uint8Array): { frame: Uint8Array; exceptSessionId: string } {
  const frame = readField(bytes, 0, F_ENV_FRAME);
  if (frame) {
    if (frame.end === bytes.length)
      return { frame: bytes.subarray(frame.start, frame.end), exceptSessionId: '' };
    const except = readField(bytes, frame.end, F_ENV_EXCEPT);
    if (except && except.end === bytes.length)
      return {
        frame: bytes.subarray(frame.start, frame.end),
        exceptSessionId: Buffer.from(
          bytes.buffer,
          bytes.byteOffset + except.start,
          except.end - except.start,
        ).toString('utf8'),
      };
  }
  const e = fromBinary(gateway.PushEnvelopeSchema, bytes);
  return { frame: e.frame, exceptSessionId: e.exceptSessionId };
}

/** A length-delimited field `no` at `pos` (its tag in one byte): where its value starts and ends. */
function readField(bytes: Uint8Array, pos: number, no: number): { start: number; end: number } | undefined {
  if (bytes[pos] !== ((no << 3) | WireType.LengthDelimited)) return undefined;
  let len = 0;
  let shift = 0;
  let i = pos + 1;
  for (; i < bytes.length && shift < 35; shift += 7) {
    const b = bytes[i++]!;
    len += (b & 0x7f) * 2 ** shift;
    if (b < 0x80) {
      const end = i + len;
      return end <= bytes.length ? { start: i, end } : undefined;
    }
  }
  return undefined;
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
  let bytes = knownEncoding(m);
  if (!bytes) {
    bytes = toBinary(message.MessageSchema, m);
    rememberEncoding(m, bytes);
  }
  return bytes;
}

/**
 * Remembers `bytes` as the binary encoding of the message object `m`: the bytes it was just
 * decoded from, or just encoded to. Whoever then needs `m` in binary (a frame, a call over a
 * socket worker's link) takes them instead of encoding it again. Only for objects nobody
 * changes afterwards: decoded requests and answers on their way through.
 */
export function rememberEncoding(m: object, bytes: Uint8Array): void {
  Object.defineProperty(m, ENCODED, { value: bytes, writable: true });
}

/** The bytes remembered for `m` by {@link rememberEncoding}, if any. */
export function knownEncoding(m: object): Uint8Array | undefined {
  return (m as { [ENCODED]?: Uint8Array })[ENCODED];
}

/**
 * A SendMessageResponse in binary (the same bytes as `toBinary`), the message's own
 * encoding reused: the message service's answer crosses a socket worker's link right after
 * the same Message was encoded for the push to the other members.
 */
export function encodeSendMessageResponse(res: message.SendMessageResponse): Uint8Array {
  const m = res.message;
  if (!m || res.$unknown?.length) return toBinary(message.SendMessageResponseSchema, res);
  const msg = messageBytes(m);
  const buf = pooledBytes(1 + varintSize(msg.length) + msg.length + (res.duplicate ? 2 : 0));
  let pos = putTag(buf, 0, F_ACK_MESSAGE, WireType.LengthDelimited);
  pos = putVarint(buf, pos, msg.length);
  buf.set(msg, pos);
  pos += msg.length;
  if (res.duplicate) {
    pos = putTag(buf, pos, F_ACK_DUPLICATE, WireType.Varint);
    buf[pos] = 1;
  }
  return buf;
}

/**
 * Decodes a SendMessageResponse and remembers its message's bytes on the message, so the
 * sender's ack frame carries them as they came instead of encoding the message again.
 */
export function decodeSendMessageResponse(bytes: Uint8Array): message.SendMessageResponse {
  const res = fromBinary(message.SendMessageResponseSchema, bytes);
  const field = readField(bytes, 0, F_ACK_MESSAGE);
  // Only the layout the encoder above writes: the message first, nothing but `duplicate` after.
  const rest = field ? bytes.length - field.end : -1;
  if (res.message && field && (rest === 0 || (rest === 2 && res.duplicate)))
    rememberEncoding(res.message, bytes.slice(field.start, field.end));
  return res;
}

const FRAME = WRITTEN_FIELDS['mychat.gateway.v1.ServerFrame'].fields;
const F_REQUEST_ID = FRAME.requestId;
const F_SEND_ACK = FRAME.sendAck;
const F_MESSAGE = FRAME.message;
const ACK = WRITTEN_FIELDS['mychat.message.v1.SendMessageResponse'].fields;
const F_ACK_MESSAGE = ACK.message;
const F_ACK_DUPLICATE = ACK.duplicate;

/** What a frame carrying a Message holds, and its encoded size. */
interface FrameLayout {
  requestId: number;
  /** The message's own bytes (encoded once per Message object). */
  msg: Uint8Array;
  /** A send ack (the message inside SendMessageResponse), or a push of the message. */
  ack: boolean;
  duplicate: boolean;
  /** Size of the SendMessageResponse (acks). */
  inner: number;
  size: number;
}

/** The layout of a frame carrying a Message, or undefined for any other frame. */
function frameLayout(frame: gateway.ServerFrame): FrameLayout | undefined {
  const body = frame.body;
  const m = body.case === 'message' ? body.value : body.case === 'sendAck' ? body.value.message : undefined;
  if (!m || frame.$unknown?.length || (body.case === 'sendAck' && body.value.$unknown?.length))
    return undefined;
  const msg = messageBytes(m);
  const ack = body.case === 'sendAck';
  const duplicate = ack && body.value.duplicate;
  const head = frame.requestId !== 0 ? 1 + varintSize(frame.requestId) : 0;
  const carried = 1 + varintSize(msg.length) + msg.length;
  const inner = ack ? carried + (duplicate ? 2 : 0) : 0;
  const size = head + (ack ? 1 + varintSize(inner) + inner : carried);
  return { requestId: frame.requestId, msg, ack, duplicate, inner, size };
}

/** Writes the frame of `l` at `pos` in field order, as protobuf-es does; returns the end. */
function writeFrame(l: FrameLayout, buf: Uint8Array, pos: number): number {
  if (l.requestId !== 0) {
    pos = putTag(buf, pos, F_REQUEST_ID, WireType.Varint);
    pos = putVarint(buf, pos, l.requestId);
  }
  if (l.ack) {
    pos = putTag(buf, pos, F_SEND_ACK, WireType.LengthDelimited);
    pos = putVarint(buf, pos, l.inner);
    pos = putTag(buf, pos, F_ACK_MESSAGE, WireType.LengthDelimited);
  } else pos = putTag(buf, pos, F_MESSAGE, WireType.LengthDelimited);
  pos = putVarint(buf, pos, l.msg.length);
  buf.set(l.msg, pos);
  pos += l.msg.length;
  if (l.duplicate) {
    pos = putTag(buf, pos, F_ACK_DUPLICATE, WireType.Varint);
    buf[pos++] = 1;
  }
  return pos;
}

/** A tag of a field numbered below 16 (one byte). */
function putTag(buf: Uint8Array, pos: number, no: number, wire: WireType): number {
  buf[pos] = (no << 3) | wire;
  return pos + 1;
}

/** An unsigned 32-bit varint. */
function putVarint(buf: Uint8Array, pos: number, n: number): number {
  while (n > 0x7f) {
    buf[pos++] = (n & 0x7f) | 0x80;
    n >>>= 7;
  }
  buf[pos++] = n;
  return pos;
}

const varintSize = (n: number): number =>
  n < 0x80 ? 1 : n < 0x4000 ? 2 : n < 0x200000 ? 3 : n < 0x10000000 ? 4 : 5;

/**
 * A ServerFrame in binary, the same bytes as `toBinary`. A new message goes out twice,
 * pushed to the members and inside the sender's ack, as the same Message object when
 * the service runs in this process: its encoding is made once and reused for both, and
 * the frame around it is written into one buffer of the exact size from Node's pool.
 */
export function encodeServerFrameBinary(frame: gateway.ServerFrame): Uint8Array {
  const l = frameLayout(frame);
  if (!l) return toBinary(gateway.ServerFrameSchema, frame);
  const buf = pooledBytes(l.size);
  writeFrame(l, buf, 0);
  return buf;
}
