import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { gateway } from '@mychat/protocol';

/**
 * The bus channel on which the admin service announces a new system notice (a
 * gateway.v1.SystemNoticePush); every gateway hands it to each of its open sockets.
 */
export const SYSTEM_NOTICE_CHANNEL = 'admin:system-notice';

export interface SystemNoticeAnnounce {
  id: string;
  title: string;
  body: string;
  /** Epoch ms. */
  createdAtMs: number;
}

export function encodeSystemNotice(n: SystemNoticeAnnounce): Uint8Array {
  return toBinary(gateway.SystemNoticePushSchema, create(gateway.SystemNoticePushSchema, n));
}

/** The notice off the bus, or undefined when it is undecodable or has no id. */
export function decodeSystemNotice(bytes: Uint8Array): gateway.SystemNoticePush | undefined {
  try {
    const n = fromBinary(gateway.SystemNoticePushSchema, bytes);
    return n.id ? n : undefined;
  } catch {
    return undefined;
  }
}
