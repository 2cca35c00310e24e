/**
 * The primitives of encrypted chats (docs/security.md), all on WebCrypto (`crypto.subtle`),
 * so the same code runs in browsers and in Node 20+. Composition only: no cipher of our own.
 */
import type { Sealed } from './types.js';

const subtle = () => globalThis.crypto.subtle;
const enc = new TextEncoder();
/** WebCrypto's typings want ArrayBuffer-backed views. */
export const bs = (u: Uint8Array) => u as Uint8Array<ArrayBuffer>;
export const randomBytes = (n: number) => globalThis.crypto.getRandomValues(new Uint8Array(n));
/** A new encrypted-chat device id: 16 random bytes in hex. */
export const newDeviceId = () => [...randomBytes(16)].map((b) => b.toString(16).padStart(2, '0')).join('');
const ZERO_NONCE = new Uint8Array(12);

export function concat(...parts: Uint8Array[]): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export const equalBytes = (a: Uint8Array, b: Uint8Array) =>
  a.length === b.length && a.every((v, i) => v === b[i]);

/** A key pair: its raw public key and its private key (extractable only where a backup needs it). */
export interface KeyPair {
  publicKey: Uint8Array;
  privateKey: CryptoKey;
}

/** A key pair as bytes: raw public and PKCS#8 private (the backup's plaintext, byte-only stores). */
export interface PairBytes {
  pub: Uint8Array;
  priv: Uint8Array;
}

/**
 * Stored form of a key pair: the private key as a CryptoKey in stores that hold them (IndexedDB
 * keeps it structured-cloned, a non-extractable one never as bytes), else as PKCS#8 bytes.
 */
export type StoredPair = PairBytes | { pub: Uint8Array; key: CryptoKey };

const usagesOf = (kind: 'Ed25519' | 'X25519'): KeyUsage[] => (kind === 'Ed25519' ? ['sign'] : ['deriveBits']);

/** A new key pair; `extractable` false for a key that never leaves this device (a device key). */
export async function newPair(kind: 'Ed25519' | 'X25519', extractable = true): Promise<KeyPair> {
  const usages: KeyUsage[] = kind === 'Ed25519' ? ['sign', 'verify'] : ['deriveBits'];
  const k = (await subtle().generateKey({ name: kind }, extractable, usages)) as CryptoKeyPair;
  return {
    publicKey: new Uint8Array(await subtle().exportKey('raw', k.publicKey)),
    privateKey: k.privateKey,
  };
}

/**
 * The private key's PKCS#8 bytes: the one place a private key leaves WebCrypto, for the backup
 * (and for stores that hold only bytes). Fails for a non-extractable key.
 */
export async function exportPair(p: KeyPair): Promise<PairBytes> {
  return { pub: p.publicKey, priv: new Uint8Array(await subtle().exportKey('pkcs8', p.privateKey)) };
}

/** Imports PKCS#8 bytes; `extractable` false unless the key must go into a backup again. */
export async function importPair(
  kind: 'Ed25519' | 'X25519',
  s: PairBytes,
  extractable: boolean,
): Promise<KeyPair> {
  const privateKey = await subtle().importKey(
    'pkcs8',
    bs(s.priv),
    { name: kind },
    extractable,
    usagesOf(kind),
  );
  return { publicKey: s.pub, privateKey };
}

export const importX25519 = (raw: Uint8Array) =>
  subtle().importKey('raw', bs(raw), { name: 'X25519' }, true, []);

/** The bytes a device's signature covers (docs/security.md, section 2). */
export const deviceSignedBytes = (userId: string, deviceId: string, publicKey: Uint8Array) =>
  concat(enc.encode(`mychat-e2ee/device/v1\n${userId}\n${deviceId}\n`), publicKey);

export async function signDevice(
  identity: KeyPair,
  userId: string,
  deviceId: string,
  publicKey: Uint8Array,
): Promise<Uint8Array> {
  const data = deviceSignedBytes(userId, deviceId, publicKey);
  return new Uint8Array(await subtle().sign({ name: 'Ed25519' }, identity.privateKey, data));
}

export async function verifyDevice(
  identityKey: Uint8Array,
  userId: string,
  device: { deviceId: string; publicKey: Uint8Array; signature: Uint8Array },
): Promise<boolean> {
  try {
    const key = await subtle().importKey('raw', bs(identityKey), { name: 'Ed25519' }, false, ['verify']);
    const data = deviceSignedBytes(userId, device.deviceId, device.publicKey);
    return await subtle().verify({ name: 'Ed25519' }, key, bs(device.signature), data);
  } catch {
    return false;
  }
}

/** A device a message is wrapped for, its key already checked against its owner's identity. */
export interface Recipient {
  userId: string;
  deviceId: string;
  key: CryptoKey;
}

/** The sender of a message: its user, device and device key pair. */
export interface SenderDevice {
  userId: string;
  deviceId: string;
  pair: KeyPair;
}

const msgAad = (conversationId: string, senderId: string, deviceId: string) =>
  enc.encode(`mychat-e2ee/msg/v1\n${conversationId}\n${senderId}\n${deviceId}`);

async function kek(
  ephemeralShared: ArrayBuffer,
  staticShared: ArrayBuffer,
  ephemeralPub: Uint8Array,
  to: { userId: string; deviceId: string },
  from: { userId: string; deviceId: string },
  usage: KeyUsage,
): Promise<CryptoKey> {
  const ikm = concat(new Uint8Array(ephemeralShared), new Uint8Array(staticShared));
  const base = await subtle().importKey('raw', ikm, 'HKDF', false, ['deriveKey']);
  const info = enc.encode(
    `mychat-e2ee/wrap/v1\n${to.userId}\n${to.deviceId}\n${from.userId}\n${from.deviceId}`,
  );
  return subtle().deriveKey(
    { name: 'HKDF', hash: 'SHA-256', salt: bs(ephemeralPub), info },
    base,
    { name: 'AES-GCM', length: 256 },
    false,
    [usage],
  );
}

const x25519 = (priv: CryptoKey, pub: CryptoKey) =>
  subtle().deriveBits({ name: 'X25519', public: pub }, priv, 256);

/**
 * The static-static term X25519(S, R) of the wrapping key (section 3 of docs/security.md) is the
 * same for every message between two device keys: computed once per pair of key objects and
 * kept in memory only (never stored), so a page of 50 messages from one device costs one
 * static agreement, not 50. The ephemeral term is per message and never cached.
 */
export class StaticSecrets {
  private readonly bits = new WeakMap<CryptoKey, WeakMap<CryptoKey, Promise<ArrayBuffer>>>();

  get(priv: CryptoKey, pub: CryptoKey): Promise<ArrayBuffer> {
    let mine = this.bits.get(priv);
    if (!mine) this.bits.set(priv, (mine = new WeakMap()));
    let hit = mine.get(pub);
    if (!hit) {
      hit = x25519(priv, pub);
      mine.set(pub, hit);
      // A failed agreement (a bad key) is not kept: the next use tries again and fails again.
      hit.catch(() => mine.delete(pub));
    }
    return hit;
  }
}

/** The static term: from the cache when one is given. */
const staticTerm = (priv: CryptoKey, pub: CryptoKey, statics?: StaticSecrets) =>
  statics ? statics.get(priv, pub) : x25519(priv, pub);

/**
 * Encrypts `plaintext` once under a fresh content key and wraps that key for every recipient
 * device (section 3 of docs/security.md). Returns everything but the files.
 */
export async function seal(
  plaintext: Uint8Array,
  conversationId: string,
  from: SenderDevice,
  recipients: readonly Recipient[],
  statics?: StaticSecrets,
): Promise<Omit<Sealed, 'files'>> {
  const ck = randomBytes(32);
  const nonce = randomBytes(12);
  const contentKey = await subtle().importKey('raw', ck, 'AES-GCM', false, ['encrypt']);
  const aad = msgAad(conversationId, from.userId, from.deviceId);
  const ciphertext = new Uint8Array(
    await subtle().encrypt({ name: 'AES-GCM', iv: nonce, additionalData: aad }, contentKey, bs(plaintext)),
  );
  const eph = await newPair('X25519', false);
  const keys = await Promise.all(
    recipients.map(async (r) => {
      const [es, ss] = await Promise.all([
        x25519(eph.privateKey, r.key),
        staticTerm(from.pair.privateKey, r.key, statics),
      ]);
      const k = await kek(es, ss, eph.publicKey, r, from, 'encrypt');
      const wrapped = new Uint8Array(await subtle().encrypt({ name: 'AES-GCM', iv: ZERO_NONCE }, k, ck));
      return { userId: r.userId, deviceId: r.deviceId, wrapped };
    }),
  );
  return { version: 1, ciphertext, nonce, senderDeviceId: from.deviceId, ephemeralKey: eph.publicKey, keys };
}

/** The content key did not unwrap: another key, or a changed wrapping. */
export class UnwrapError extends Error {}

/**
 * Opens a message wrapped for `me` (one of my devices or my backup key), sent by `senderKey`
 * (the sender device's key, already checked against the sender's identity). Throws when the
 * key or the ciphertext does not open: a changed byte anywhere is refused.
 */
export async function open(
  sealed: Sealed,
  conversationId: string,
  sender: { userId: string; key: CryptoKey },
  me: { userId: string; deviceId: string; pair: KeyPair },
  statics?: StaticSecrets,
): Promise<Uint8Array> {
  const entry = sealed.keys.find((k) => k.userId === me.userId && k.deviceId === me.deviceId);
  if (!entry) throw new Error('not wrapped for this device');
  const eph = await importX25519(sealed.ephemeralKey);
  const [es, ss] = await Promise.all([
    x25519(me.pair.privateKey, eph),
    staticTerm(me.pair.privateKey, sender.key, statics),
  ]);
  const from = { userId: sender.userId, deviceId: sealed.senderDeviceId };
  const k = await kek(es, ss, sealed.ephemeralKey, me, from, 'unwrapKey');
  // AES-GCM decrypt of the wrapping and import of the content key, in one call.
  const unwrap = { name: 'AES-GCM', iv: ZERO_NONCE };
  const contentKey = await subtle()
    .unwrapKey('raw', bs(entry.wrapped), k, unwrap, 'AES-GCM', false, ['decrypt'])
    .catch(() => {
      throw new UnwrapError();
    });
  const aad = msgAad(conversationId, sender.userId, sealed.senderDeviceId);
  return new Uint8Array(
    await subtle().decrypt(
      { name: 'AES-GCM', iv: bs(sealed.nonce), additionalData: aad },
      contentKey,
      bs(sealed.ciphertext),
    ),
  );
}

/** A file's bytes under their own key: what is uploaded is the ciphertext. */
export async function sealFile(
  data: Uint8Array,
): Promise<{ key: Uint8Array; nonce: Uint8Array; ciphertext: Uint8Array }> {
  const key = randomBytes(32);
  const nonce = randomBytes(12);
  const k = await subtle().importKey('raw', key, 'AES-GCM', false, ['encrypt']);
  const ciphertext = new Uint8Array(await subtle().encrypt({ name: 'AES-GCM', iv: nonce }, k, bs(data)));
  return { key, nonce, ciphertext };
}

export async function openFile(
  ciphertext: Uint8Array,
  key: Uint8Array,
  nonce: Uint8Array,
): Promise<Uint8Array> {
  const k = await subtle().importKey('raw', bs(key), 'AES-GCM', false, ['decrypt']);
  return new Uint8Array(await subtle().decrypt({ name: 'AES-GCM', iv: bs(nonce) }, k, bs(ciphertext)));
}

/**
 * Benchmarks: the time of sealing a 200-byte text for `recipients` devices, once per message
 * after a warm-up, in ms. Used by packages/bench (Node) and the web app's /dev/e2ee (browser).
 * `cached` keeps the static terms as the SDK does (false: both agreements per message).
 */
export async function timeSeal(messages: number, recipients: number, cached = true): Promise<number[]> {
  const statics = cached ? new StaticSecrets() : undefined;
  const sender = { userId: '1', deviceId: 'a'.repeat(32), pair: await newPair('X25519') };
  const to: Recipient[] = [];
  for (let i = 0; i < recipients; i++) {
    const key = await importX25519((await newPair('X25519')).publicKey);
    to.push({ userId: String(1 + (i % 2)), deviceId: i.toString(16).padStart(32, '0'), key });
  }
  const text = new TextEncoder().encode('x'.repeat(200));
  for (let i = 0; i < 50; i++) await seal(text, '42', sender, to, statics);
  const samples: number[] = [];
  for (let i = 0; i < messages; i++) {
    const t = performance.now();
    await seal(text, '42', sender, to, statics);
    samples.push(performance.now() - t);
  }
  return samples;
}
