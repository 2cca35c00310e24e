/** The public shapes of `@mychat/sdk/e2ee` (e2ee.ts). */
import type { KdfParams } from './e2ee-backup.js';
import type { OpenedLimits } from './e2ee-cache.js';
import type { E2eeKeyStore } from './e2ee-keys.js';

/** `new`: nothing published yet (setup); `restore`: the account has keys this device lacks. */
export type E2eeStatus = 'ready' | 'new' | 'restore';

/** An encrypted file inside an opened message. */
export interface SealedFileInfo {
  mediaId: string;
  key: Uint8Array;
  nonce: Uint8Array;
  name: string;
  mime: string;
  size: number;
  width: number;
  height: number;
}

export type OpenedBody =
  | { type: 'text'; text: string }
  | { type: 'file'; file: SealedFileInfo }
  | { type: 'image'; file: SealedFileInfo };

/** Why a message did not open: shown in its place, never replaced by anything else. */
export type OpenFailure =
  'not-set-up' | 'not-for-this-device' | 'unknown-sender-device' | 'tampered' | 'not-encrypted';

export type Opened =
  | {
      ok: true;
      body: OpenedBody;
      /** The sender's identity key is not the one pinned here. */ identityChanged: boolean;
    }
  | { ok: false; reason: OpenFailure };

export interface E2eeOptions {
  /** Private keys and pins (default: memory only). */
  store?: E2eeKeyStore;
  /** Argon2id cost of new backups (default 64 MiB, 3 passes). */
  kdf?: KdfParams;
  /** How long fetched public keys are trusted before asking again, ms (default 30 s). */
  keysTtlMs?: number;
  /**
   * Where the bodies of opened messages are kept, encrypted under a local key (so a chat
   * reopens without unwrapping again): default `store` when it holds CryptoKeys, else memory;
   * false keeps none.
   */
  openedStore?: E2eeKeyStore | false;
  /**
   * Most opened bodies kept (default 10 000 entries and 16 MiB of ciphertext): the oldest kept
   * go first. Clearing a chat, deleting messages for me, a recall, signing out and removing this
   * device delete them too.
   */
  openedLimits?: Partial<OpenedLimits>;
  /**
   * Keep each device pair's static X25519 agreement in memory (default true); false computes
   * it for every message (the version before, for benchmarks).
   */
  cacheSecrets?: boolean;
}

export interface E2eeEvents extends Record<string, unknown[]> {
  /** A peer's identity key is not the pinned one: show the warning in the chat. */
  identityChanged: [userId: string];
}
