/** Opening one encrypted message on this device (docs/security.md, section 3). */
import { fromBinary } from '@bufbuild/protobuf';
import { keys as pb } from '@mychat/protocol';
import type { OpenedCache } from './e2ee-cache.js';
import { open, UnwrapError, type StaticSecrets } from './e2ee-crypto.js';
import type { OwnKeys } from './e2ee-keys.js';
import type { OpenedBody, OpenFailure, SealedFileInfo } from './e2ee-types.js';
import type { ChatMessage, Sealed } from './types.js';

type Result = { ok: true; body: OpenedBody } | { ok: false; reason: OpenFailure };

/** What opening may reuse: the static agreements and the bodies opened before on this device. */
export interface OpenCaches {
  statics?: StaticSecrets;
  opened?: OpenedCache;
}

/** The body this device kept of a message it opened before, if any (no key needed). */
export async function keptBody(opened: OpenedCache | undefined, m: ChatMessage, sealed: Sealed) {
  const kept = await opened?.get(m, sealed);
  return kept && decodeBody(kept);
}

/**
 * A message's body unwrapped and checked (then kept, see keptBody). `senderKey` is the sending
 * device's checked key.
 */
export async function openMessage(
  m: ChatMessage,
  sealed: Sealed,
  me: { userId: string; own: OwnKeys },
  senderKey: () => Promise<CryptoKey | undefined>,
  caches: OpenCaches = {},
): Promise<Result> {
  const r = await unwrapMessage(m, sealed, me, senderKey, caches.statics);
  if (!r.ok) return r;
  const body = decodeBody(r.plain);
  if (!body) return { ok: false, reason: 'tampered' };
  // Keeping it is an optimisation: a store that fails does not fail the open.
  await caches.opened?.put(m, sealed, r.plain).catch(() => undefined);
  return { ok: true, body };
}

/**
 * Unwraps with this device's key, else with any backup key it holds (newest first), and checks
 * the ciphertext.
 */
async function unwrapMessage(
  m: ChatMessage,
  sealed: Sealed,
  me: { userId: string; own: OwnKeys },
  senderKey: () => Promise<CryptoKey | undefined>,
  statics?: StaticSecrets,
): Promise<{ ok: true; plain: Uint8Array } | { ok: false; reason: OpenFailure }> {
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
      const from = { userId: m.senderId, key };
      plain = await open(sealed, m.conversationId, from, { userId, ...slot }, statics);
      break;
    } catch (err) {
      // This device's own wrapping must open; a backup key may be an older one: try the next.
      tampered ||= !(err instanceof UnwrapError) || slot.deviceId !== 'backup';
    }
  }
  if (!plain) return { ok: false, reason: tampered ? 'tampered' : 'not-for-this-device' };
  return { ok: true, plain };
}

/** The body of an opened ciphertext; undefined when it is not a body. */
function decodeBody(plain: Uint8Array): OpenedBody | undefined {
  let b: pb.SealedBody['body'];
  try {
    b = fromBinary(pb.SealedBodySchema, plain).body;
  } catch {
    return undefined;
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
  if (b.case === 'text') return { type: 'text', text: b.value };
  if (b.case === 'file' || b.case === 'image') return { type: b.case, file: file(b.value) };
  return undefined;
}
