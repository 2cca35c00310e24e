/**
 * Opened messages kept on this device (docs/security.md, section 5): the body of each message
 * this device opened, encrypted under a local AES-256-GCM key that is non-extractable where the
 * store holds CryptoKeys (IndexedDB in the web app). Reopening a chat then decrypts each body
 * once with a local key instead of unwrapping it again (two X25519, HKDF, two AES-GCM). Nothing
 * here reaches the server.
 */
import { bs, concat, randomBytes } from './e2ee-crypto.js';
import { MemoryKeyStore, type E2eeKeyStore } from './e2ee-keys.js';
import type { ChatMessage, Sealed } from './types.js';

const subtle = () => globalThis.crypto.subtle;
const enc = new TextEncoder();

interface Entry {
  iv: Uint8Array;
  ct: Uint8Array;
}

/**
 * Binds an entry to the exact message it came from: the conversation, seq, sender, sending
 * device and every byte of the sealed message (ciphertext, nonce, ephemeral key, each wrapping).
 * A message changed in any way since (another message under the seq, a changed byte) does not
 * open the entry: it is opened from scratch, and a changed one is refused as tampered.
 */
const aadOf = (m: ChatMessage, sealed: Sealed) => {
  const head = `mychat-e2ee/local/v1\n${m.conversationId}\n${m.seq}\n${m.senderId}\n${sealed.senderDeviceId}\n`;
  const wraps = sealed.keys.flatMap((k) => [
    enc.encode(`${k.userId}\n${k.deviceId}\n`),
    lengthOf(k.wrapped),
    k.wrapped,
  ]);
  const parts = [sealed.ciphertext, sealed.nonce, sealed.ephemeralKey];
  return concat(enc.encode(head), ...parts.flatMap((p) => [lengthOf(p), p]), ...wraps);
};

/** 4-byte big-endian length: each variable part is length-prefixed, so parts cannot shift. */
const lengthOf = (u: Uint8Array) => {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, u.length);
  return b;
};

export class OpenedCache {
  private key?: Promise<CryptoKey>;
  private readonly store: E2eeKeyStore;

  /**
   * `store`: where entries and the local key live. A store that cannot hold CryptoKeys (a
   * file) would keep the local key as bytes next to the entries: entries then stay in memory.
   */
  constructor(
    store: E2eeKeyStore,
    private readonly prefix: string,
  ) {
    this.store = store.holdsCryptoKeys ? store : new MemoryKeyStore();
  }

  private localKey(): Promise<CryptoKey> {
    this.key ??= (async () => {
      const at = `${this.prefix}/local-key`;
      const stored = await this.store.get(at);
      if (stored instanceof CryptoKey) return stored;
      const k = await subtle().generateKey({ name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt']);
      await this.store.set(at, k);
      return k;
    })();
    this.key.catch(() => (this.key = undefined));
    return this.key;
  }

  private at(m: { conversationId: string; seq: number }) {
    return `${this.prefix}/opened/${m.conversationId}/${m.seq}`;
  }

  /** The body kept for this message, or undefined (none, or it belongs to another message). */
  async get(m: ChatMessage, sealed: Sealed): Promise<Uint8Array | undefined> {
    const e = (await this.store.get(this.at(m))) as Entry | undefined;
    if (!e) return undefined;
    try {
      const iv = bs(e.iv);
      const plain = await subtle().decrypt(
        { name: 'AES-GCM', iv, additionalData: aadOf(m, sealed) },
        await this.localKey(),
        bs(e.ct),
      );
      return new Uint8Array(plain);
    } catch {
      return undefined;
    }
  }

  async put(m: ChatMessage, sealed: Sealed, body: Uint8Array): Promise<void> {
    const iv = randomBytes(12);
    const ct = await subtle().encrypt(
      { name: 'AES-GCM', iv, additionalData: aadOf(m, sealed) },
      await this.localKey(),
      bs(body),
    );
    await this.store.set(this.at(m), { iv, ct: new Uint8Array(ct) } satisfies Entry);
  }

  /** Drops a message's body (recalled: its content is gone everywhere). */
  forget(m: { conversationId: string; seq: number }): Promise<void> {
    return this.store.delete(this.at(m));
  }
}
