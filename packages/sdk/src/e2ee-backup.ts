/**
 * The key backup (docs/security.md, section 5): the identity and backup private keys under a
 * key derived from the passphrase with Argon2id, as one opaque blob the server stores.
 */
import { bs, randomBytes, type PairBytes } from './e2ee-crypto.js';

/** Argon2id cost: memory in KiB and passes. The default is 64 MiB, 3 passes. */
export interface KdfParams {
  memoryKiB: number;
  iterations: number;
}

export const DEFAULT_KDF: KdfParams = { memoryKiB: 64 * 1024, iterations: 3 };

/**
 * What the backup holds once opened: the identity and every backup key there has been, the
 * current one last (older ones still open older messages; see E2ee.removeDevice).
 */
export interface BackupSecrets {
  identity: PairBytes;
  backups: PairBytes[];
}

interface Blob1 {
  v: 1;
  m: number;
  t: number;
  salt: string;
  nonce: string;
  ct: string;
}

const b64 = (u: Uint8Array) => btoa(String.fromCharCode(...u));
const unb64 = (s: string) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));

async function derive(passphrase: string, salt: Uint8Array, p: KdfParams): Promise<CryptoKey> {
  // Loaded only when a backup is made or opened (the WebAssembly is not in any first download).
  const { argon2id } = await import('hash-wasm');
  const raw = await argon2id({
    password: passphrase.normalize('NFKC'),
    salt,
    parallelism: 1,
    iterations: p.iterations,
    memorySize: p.memoryKiB,
    hashLength: 32,
    outputType: 'binary',
  });
  return globalThis.crypto.subtle.importKey('raw', bs(raw), 'AES-GCM', false, ['encrypt', 'decrypt']);
}

const AAD = new TextEncoder().encode('mychat-e2ee/backup/v1');

export async function sealBackup(
  secrets: BackupSecrets,
  passphrase: string,
  p: KdfParams = DEFAULT_KDF,
): Promise<Uint8Array> {
  const salt = randomBytes(16);
  const nonce = randomBytes(12);
  const key = await derive(passphrase, salt, p);
  const plain = new TextEncoder().encode(
    JSON.stringify({
      identity: { pub: b64(secrets.identity.pub), priv: b64(secrets.identity.priv) },
      backups: secrets.backups.map((p) => ({ pub: b64(p.pub), priv: b64(p.priv) })),
    }),
  );
  const ct = new Uint8Array(
    await globalThis.crypto.subtle.encrypt({ name: 'AES-GCM', iv: nonce, additionalData: AAD }, key, plain),
  );
  const blob: Blob1 = {
    v: 1,
    m: p.memoryKiB,
    t: p.iterations,
    salt: b64(salt),
    nonce: b64(nonce),
    ct: b64(ct),
  };
  return new TextEncoder().encode(JSON.stringify(blob));
}

/** Opens a backup; undefined when the passphrase is wrong (or the blob was changed). */
export async function openBackup(data: Uint8Array, passphrase: string): Promise<BackupSecrets | undefined> {
  const blob = JSON.parse(new TextDecoder().decode(data)) as Blob1;
  if (blob.v !== 1) throw new Error('unknown backup version');
  // A blob is what the server hands back: bound its cost before spending memory on it.
  if (!(blob.m >= 8 * 1024 && blob.m <= 1024 * 1024 && blob.t >= 1 && blob.t <= 10))
    throw new Error('the backup asks for an Argon2id cost outside 8 MiB-1 GiB, 1-10 passes');
  const key = await derive(passphrase, unb64(blob.salt), { memoryKiB: blob.m, iterations: blob.t });
  let plain: ArrayBuffer;
  try {
    plain = await globalThis.crypto.subtle.decrypt(
      { name: 'AES-GCM', iv: unb64(blob.nonce), additionalData: AAD },
      key,
      unb64(blob.ct),
    );
  } catch {
    return undefined;
  }
  type P = { pub: string; priv: string };
  const s = JSON.parse(new TextDecoder().decode(plain)) as { identity: P; backups: P[] };
  const pair = (p: P) => ({ pub: unb64(p.pub), priv: unb64(p.priv) });
  return { identity: pair(s.identity), backups: s.backups.map(pair) };
}
