/** Opening encrypted messages on this device (docs/security.md, section 3), and the kept bodies. */
import { fromBinary } from '@bufbuild/protobuf';
import { keys as pb } from '@mychat/protocol';
import type { ChatStore } from './chat-store.js';
import type { MyChatClient } from './client.js';
import { DEFAULT_OPENED_LIMITS as DEFAULT_LIMITS, OpenedCache } from './e2ee-cache.js';
import { open, openFile, UnwrapError, type StaticSecrets } from './e2ee-crypto.js';
import { restoredOf } from './e2ee-page.js';
import {
  senderDeviceKey,
  type E2eeKeyStore,
  type KeyDirectory,
  type LocalKeys,
  type OwnKeys,
  type UserKeys,
} from './e2ee-keys.js';
import type { E2eeOptions, OpenedBody, Opened, OpenFailure, SealedFileInfo } from './e2ee-types.js';
import { MyChatError } from './errors.js';
import type { ChatMessage, Sealed } from './types.js';

type Result = { ok: true; body: OpenedBody } | { ok: false; reason: OpenFailure };

/** Who opens: the signed-in user, this device's keys (none before setup), its kept bodies. */
export interface Opener {
  userId: string;
  own?: OwnKeys;
  opened?: OpenedCache;
}

/** What opening may reuse: the static agreements and the bodies opened before on this device. */
export interface OpenCaches {
  statics?: StaticSecrets;
  opened?: OpenedCache;
}

/**
 * The kept bodies of a user (`bodies`: where), kept honest: what a synced conversation says was
 * cleared or hidden while nothing was running here is dropped now (in the background).
 */
export function keptBodiesOf(
  client: MyChatClient,
  userId: string,
  store: E2eeKeyStore,
  options: Pick<E2eeOptions, 'openedStore' | 'openedLimits'>,
): OpenedCache | undefined {
  const bodies = options.openedStore ?? store;
  if (!bodies) return undefined;
  const limits = options.openedLimits && { ...DEFAULT_LIMITS, ...options.openedLimits };
  const opened = new OpenedCache(bodies, userId, limits);
  void forgetHiddenSince(opened, client.store).catch(() => undefined);
  return opened;
}

async function forgetHiddenSince(opened: OpenedCache, store: ChatStore) {
  for (const id of await opened.conversations()) {
    const c = await store.getConversation(id);
    if (c) await opened.forgetHidden(c);
  }
}

/**
 * What I clear or delete for myself (on any of my devices: the `conversation` event) and signing
 * out (or the session ending) drop the kept bodies.
 */
export function followForgets(client: MyChatClient, opened: () => OpenedCache | undefined) {
  client.on('conversation', (c) => {
    opened()
      ?.forgetHidden(c)
      .catch(() => undefined);
  });
  client.on('session', (s, why) => {
    if (!s && why !== 'refresh')
      opened()
        ?.forgetAll()
        .catch(() => undefined);
  });
}

/**
 * The bodies this device kept of messages it opened before, read together (no key needed),
 * in order; undefined where none. The pin says whether the sender's key changed since.
 */
export async function keptBodies(
  opened: OpenedCache | undefined,
  keys: LocalKeys,
  deviceId: string,
  list: readonly ChatMessage[],
): Promise<(Opened | undefined)[]> {
  const sealed = list.flatMap((m) =>
    m.content.type === 'encrypted' ? [{ m, sealed: m.content.sealed }] : [],
  );
  // Made whole from their records by E2ee.history: matched already.
  const made = opened && restoredOf(opened);
  const rest = sealed.filter(({ m }) => !made?.has(m));
  const read = opened && rest.length ? await opened.getMany(rest, deviceId) : [];
  const fromRead = new Map(rest.map(({ m }, i) => [m, read[i]]));
  const kept = sealed.map(({ m }) => made?.get(m) ?? fromRead.get(m));
  const changed = new Map<string, Promise<boolean>>();
  const changedOf = (userId: string) => {
    let p = changed.get(userId);
    if (!p) changed.set(userId, (p = keys.pin(userId).then((pin) => !!pin?.changedTo)));
    return p;
  };
  const byMessage = new Map<ChatMessage, Opened>();
  await Promise.all(
    sealed.map(async ({ m }, i) => {
      const body = kept[i] && decodeBody(kept[i]);
      if (body) byMessage.set(m, { ok: true, body, identityChanged: await changedOf(m.senderId) });
    }),
  );
  return list.map((m) => byMessage.get(m));
}

/** What opening one message needs of the E2ee: the key directory, the peers' pinned keys. */
export interface OpenDeps {
  directory: KeyDirectory;
  peerKeys: (userId: string) => Promise<{ keys: UserKeys; changed: boolean }>;
  statics?: StaticSecrets | undefined;
}

/** Opens one message with the sender's keys (fetched, or from the directory's cache). */
export async function openOne(m: ChatMessage, me: Opener, d: OpenDeps): Promise<Opened> {
  const { userId, own, opened } = me;
  if (m.content.type !== 'encrypted') return { ok: false, reason: 'not-encrypted' };
  if (!own) return { ok: false, reason: 'not-set-up' };
  const sealed = m.content.sealed;
  const sender =
    m.senderId === userId
      ? { keys: await d.directory.get(userId), changed: false }
      : await d.peerKeys(m.senderId);
  // A device added since the keys were fetched: asked once more.
  const deviceKey = async () => {
    const found = senderDeviceKey(sender.keys, sealed.senderDeviceId, m.createdAt);
    if (found) return found;
    d.directory.forget(m.senderId);
    return senderDeviceKey(await d.directory.get(m.senderId), sealed.senderDeviceId, m.createdAt);
  };
  const caches = { ...(d.statics && { statics: d.statics }), ...(opened && { opened }) };
  const r = await openMessage(m, sealed, { userId, own }, deviceKey, caches);
  return r.ok ? { ...r, identityChanged: sender.changed } : r;
}

/** Downloads and decrypts a file of an opened message. */
export async function downloadSealedFile(client: MyChatClient, m: ChatMessage, file: SealedFileInfo) {
  const { url } = await client.media.downloadUrl(file.mediaId, {
    conversationId: m.conversationId,
    seq: m.seq,
  });
  const res = await (client.options.fetch ?? globalThis.fetch)(url);
  if (!res.ok) throw new MyChatError(`download failed (${res.status})`, 'NETWORK');
  try {
    return await openFile(new Uint8Array(await res.arrayBuffer()), file.key, file.nonce);
  } catch {
    throw new MyChatError('the file was changed after it was sent', 'E2EE_TAMPERED');
  }
}

/**
 * A message's body unwrapped and checked (then kept in the background, see OpenedCache.put). `senderKey` is the sending
 * device's checked key.
 */
export async function openMessage(
  m: ChatMessage,
  sealed: Sealed,
  me: { userId: string; own: OwnKeys },
  senderKey: () => Promise<CryptoKey | undefined>,
  caches: OpenCaches = {},
): Promise<Result> {
  // A forget of this chat while the message is unwrapped wins over keeping its body.
  const since = caches.opened?.mark();
  const r = await unwrapMessage(m, sealed, me, senderKey, caches.statics);
  if (!r.ok) return r;
  const body = decodeBody(r.plain);
  if (!body) return { ok: false, reason: 'tampered' };
  // Kept in the background (an optimisation: a store that fails does not fail the open); the
  // body is shown without waiting for the local encrypt and the write. Forgets wait for it.
  void caches.opened?.put(m, sealed, r.plain, me.own.device.id, since).catch(() => undefined);
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
