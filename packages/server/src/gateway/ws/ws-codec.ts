/**
 * The /ws wire format: ClientFrame in, ServerFrame out, as protobuf binary frames or, for
 * debugging, their protobuf JSON form in text frames. Also the mapping from any failure to
 * the Error frame a client may see (the WebSocket edge of house rule 5).
 */
import { create, fromBinary, fromJsonString, toJsonString } from '@bufbuild/protobuf';
import { BinaryReader, type WireType } from '@bufbuild/protobuf/wire';
import { Code, ConnectError } from '@connectrpc/connect';
import { gateway } from '@mychat/protocol';
import { AppError, ErrorCode, errorInfoOf, reasonOf } from '../../kernel/errors.js';
import { encodeServerFrameBinary, rememberEncoding } from '../../contracts/push-envelope.js';

const { ClientFrameSchema, ServerFrameSchema } = gateway;

/** How a socket speaks: decided by its Auth frame, used for every frame sent to it. */
export type Wire = 'binary' | 'text';

/** The result of reading one client frame; never throws. */
export type DecodedFrame = { ok: true; frame: gateway.ClientFrame } | { ok: false; error: string };

/**
 * Decodes a ClientFrame. Unknown fields are kept (binary) or ignored (JSON), so a frame
 * from a newer client decodes with an empty `body` instead of failing: the caller answers
 * UNKNOWN_FRAME and keeps the socket, rather than treating it as a protocol breach.
 */
export function decodeClientFrame(data: Buffer, isBinary: boolean): DecodedFrame {
  try {
    const frame = isBinary
      ? fromBinary(ClientFrameSchema, data)
      : fromJsonString(ClientFrameSchema, data.toString('utf8'), { ignoreUnknownFields: true });
    if (isBinary && frame.body.case === 'send') rememberSendBytes(frame.body.value, data);
    return { ok: true, frame };
  } catch (err) {
    return { ok: false, error: err instanceof Error ? err.message : String(err) };
  }
}

const F_SEND = ClientFrameSchema.fields.find((f) => f.localName === 'send')!.number;

/**
 * Remembers the bytes of the `send` field a binary frame carried as the encoding of its
 * decoded SendMessageRequest: a socket worker forwards them to the message service as they
 * came instead of encoding the request again. Only when the field appears once (a repeated
 * one would have been merged).
 */
function rememberSendBytes(req: object, data: Buffer): void {
  const r = new BinaryReader(data);
  let found: Uint8Array | undefined;
  while (r.pos < r.len) {
    const [no, wire] = r.tag();
    if (no !== F_SEND) {
      r.skip(wire as WireType);
      continue;
    }
    if (found) return;
    found = r.bytes();
  }
  if (found) rememberEncoding(req, found);
}

/** Encodes a ServerFrame for a socket's wire. */
export function encodeServerFrame(frame: gateway.ServerFrame, wire: Wire): Uint8Array | string {
  return wire === 'binary' ? encodeServerFrameBinary(frame) : toJsonString(ServerFrameSchema, frame);
}

/** An already encoded ServerFrame (a push) as JSON text, for text sockets only. */
export function binaryFrameToJson(bytes: Uint8Array): string {
  return toJsonString(ServerFrameSchema, fromBinary(ServerFrameSchema, bytes));
}

/** A ServerFrame with the given body. */
export function serverFrame(requestId: number, body: gateway.ServerFrame['body']): gateway.ServerFrame {
  return create(ServerFrameSchema, { requestId, body });
}

/** An Error frame with a stable code. */
export function errorFrame(
  requestId: number,
  code: ErrorCode,
  message: string,
  retryAfterSeconds = 0,
): gateway.ServerFrame {
  return serverFrame(requestId, {
    case: 'error',
    value: create(gateway.ErrorSchema, { code, reason: reasonOf(code), message, retryAfterSeconds }),
  });
}

/** Stable codes for transport-level failures that carry no ErrorInfo. */
const BARE_CODES: Partial<Record<Code, [ErrorCode, string]>> = {
  [Code.Unavailable]: [ErrorCode.UNAVAILABLE, 'service temporarily unavailable'],
  [Code.Unimplemented]: [ErrorCode.UNAVAILABLE, 'service temporarily unavailable'],
  [Code.DeadlineExceeded]: [ErrorCode.DEADLINE_EXCEEDED, 'the request took too long'],
  [Code.Canceled]: [ErrorCode.UNAVAILABLE, 'the request was cancelled'],
  [Code.ResourceExhausted]: [ErrorCode.RATE_LIMITED, 'too many requests, try again later'],
  [Code.Unauthenticated]: [ErrorCode.UNAUTHENTICATED, 'authentication required'],
  [Code.PermissionDenied]: [ErrorCode.PERMISSION_DENIED, 'permission denied'],
  [Code.NotFound]: [ErrorCode.NOT_FOUND, 'not found'],
  [Code.InvalidArgument]: [ErrorCode.INVALID_ARGUMENT, 'invalid argument'],
};

/**
 * The Error frame for anything a request threw. Errors with a stable code pass as they
 * are; anything else keeps only a generic message, which never names internal hosts.
 * `internal` says the failure was ours (worth an error log).
 */
export function errorFrameFrom(
  requestId: number,
  err: unknown,
): { frame: gateway.ServerFrame; internal: boolean } {
  if (err instanceof AppError) {
    return {
      frame: errorFrame(requestId, err.code, err.message, err.details.retryAfterSeconds ?? 0),
      internal: false,
    };
  }
  const info = errorInfoOf(err);
  if (info && err instanceof ConnectError) {
    return {
      frame: errorFrame(requestId, info.code, err.rawMessage, info.retryAfterSeconds),
      internal: info.code === ErrorCode.INTERNAL,
    };
  }
  const bare = err instanceof ConnectError ? BARE_CODES[err.code] : undefined;
  if (bare) return { frame: errorFrame(requestId, bare[0], bare[1]), internal: false };
  return { frame: errorFrame(requestId, ErrorCode.INTERNAL, 'internal error'), internal: true };
}

const bodyNames = new Map<number, string>(
  ServerFrameSchema.fields.filter((f) => f.oneof).map((f) => [f.number, f.localName]),
);

/**
 * The body type of an encoded ServerFrame (for the frames-out metric), read from its tags
 * without decoding it: pushes are forwarded as bytes and should stay that cheap.
 */
export function peekFrameType(bytes: Uint8Array): string {
  try {
    const r = new BinaryReader(bytes);
    while (r.pos < r.len) {
      const [no, wt] = r.tag();
      const name = bodyNames.get(no);
      if (name) return name;
      r.skip(wt as WireType, no);
    }
  } catch {
    /* not a valid frame: counted as unknown */
  }
  return 'unknown';
}
