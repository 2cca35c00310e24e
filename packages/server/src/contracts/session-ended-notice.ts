import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { gateway } from '@mychat/protocol';

/**
 * The bus channel on which the auth service announces ended sessions (a
 * gateway.v1.SessionEndedNotice); gateways close those sessions' sockets.
 */
export const SESSION_ENDED_CHANNEL = 'auth:session-ended';

/** A session the auth service ended, as gateways read it off the bus. */
export interface SessionEnded {
  userId: string;
  sessionId: string;
  reason: string;
}

/** The notice for {@link SESSION_ENDED_CHANNEL}, in protobuf. */
export function encodeSessionEndedNotice(ended: SessionEnded): Uint8Array {
  return toBinary(gateway.SessionEndedNoticeSchema, create(gateway.SessionEndedNoticeSchema, ended));
}

/** `{`: how the JSON notice of the previous release starts; no protobuf notice does (field 15). */
const LEGACY_JSON_START = 0x7b;

/**
 * Reads a notice off {@link SESSION_ENDED_CHANNEL}, or undefined when it is undecodable or
 * names no user or session. Also reads the JSON `{userId, sessionId, reason}` the auth
 * service of the previous release publishes, so gateways of this one still close ended
 * sessions during a rolling upgrade (to be dropped in the next release).
 */
export function decodeSessionEndedNotice(bytes: Uint8Array): SessionEnded | undefined {
  let n: { userId?: unknown; sessionId?: unknown; reason?: unknown };
  try {
    n =
      bytes[0] === LEGACY_JSON_START
        ? (JSON.parse(new TextDecoder().decode(bytes)) as typeof n)
        : fromBinary(gateway.SessionEndedNoticeSchema, bytes);
  } catch {
    return undefined;
  }
  const { userId, sessionId, reason } = n ?? {};
  if (typeof userId !== 'string' || typeof sessionId !== 'string' || !userId || !sessionId) return undefined;
  return { userId, sessionId, reason: typeof reason === 'string' && reason ? reason : 'revoked' };
}
