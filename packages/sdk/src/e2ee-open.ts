/** Opening one encrypted message on this device (docs/security.md, section 3). */
import { fromBinary } from '@bufbuild/protobuf';
import { keys as pb } from '@mychat/protocol';
import { open, UnwrapError } from './e2ee-crypto.js';
import type { OwnKeys } from './e2ee-keys.js';
import type { OpenedBody, OpenFailure, SealedFileInfo } from './e2ee-types.js';
import type { ChatMessage, Sealed } from './types.js';

/**
 * Unwraps with this device's key, else with any backup key it holds (newest first), checks the
 * ciphertext and decodes the body. `senderKey` is the sending device's checked key.
 */
export async function openMessage(
  m: ChatMessage,
  sealed: Sealed,
  me: { userId: string; own: OwnKeys },
  senderKey: () => Promise<CryptoKey | undefined>,
): Promise<{ ok: true; body: OpenedBody } | { ok: false; reason: OpenFailure }> {
  const { userId, own } = me;
  const wrappedFor = (deviceId: string) =>
    sealed.keys.some((k) => k.userId === userId && k.deviceId === deviceId);
  const slots = [
    ...(wrappedFor(own.device.id) ? [{ deviceId: own.device.id, pair: own.device.pair }] : []),
    ...(wrappedFor('backup') ? [...own.backups].reverse().map((pair) => ({ deviceId: 'backup', pair })) : []),
  ];
  if (!slots.length) return { ok: false, reason: 'not-for-this-device' };
  const key = await senderKey();
  if (!key) return { ok: false, reason: 'unknown-sender-device' };
  let plain: Uint8Array | undefined;
  let tampered = false;
  for (const slot of slots) {
    try {
      plain = await open(sealed, m.conversationId, { userId: m.senderId, key }, { userId, ...slot });
      break;
    } catch (err) {
      // This device's own wrapping must open; a backup key may be an older one: try the next.
      tampered ||= !(err instanceof UnwrapError) || slot.deviceId !== 'backup';
    }
  }
  if (!plain) return { ok: false, reason: tampered ? 'tampered' : 'not-for-this-device' };
  let b: pb.SealedBody['body'];
  try {
    b = fromBinary(pb.SealedBodySchema, plain).body;
  } catch {
    return { ok: false, reason: 'tampered' };
  }
  const file = (f: pb.SealedFile): SealedFileInfo => ({
    mediaId: f.mediaId,
    key: f.key,
    nonce: f.nonce,
    name: f.name,
    mime: f.mime,
    size: Number(f.size),
    width: f.width,
    height: f.height,
  });
  if (b.case === 'text') return { ok: true, body: { type: 'text', text: b.value } };
  if (b.case === 'file' || b.case === 'image')
    return { ok: true, body: { type: b.case, file: file(b.value) } };
  return { ok: false, reason: 'tampered' };
}
