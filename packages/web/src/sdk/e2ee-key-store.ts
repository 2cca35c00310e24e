import type { E2eeKeyStore } from '@mychat/sdk/e2ee';
import { done, request } from './idb.js';

/**
 * Encrypted chats' private keys and pins in this browser: an IndexedDB database of its own
 * (`mychat-e2ee`), kept across sign-outs so that signing in again needs no restore. Keys kept
 * as PKCS#8 bytes by an older version move to CryptoKeys on first open (LocalKeys.load).
 */
export class IdbKeyStore implements E2eeKeyStore {
  // Private keys as CryptoKeys (structured-cloned): the device key never exists as bytes here.
  readonly holdsCryptoKeys = true;
  private db?: Promise<IDBDatabase>;

  private open(): Promise<IDBDatabase> {
    this.db ??= new Promise((resolve, reject) => {
      const req = indexedDB.open('mychat-e2ee', 1);
      req.onupgradeneeded = () => req.result.createObjectStore('keys');
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error);
    });
    return this.db;
  }

  async get(key: string): Promise<unknown> {
    const db = await this.open();
    return request(db.transaction('keys').objectStore('keys').get(key));
  }

  async set(key: string, value: unknown): Promise<void> {
    const tx = (await this.open()).transaction('keys', 'readwrite');
    tx.objectStore('keys').put(value, key);
    await done(tx);
  }

  async delete(key: string): Promise<void> {
    const tx = (await this.open()).transaction('keys', 'readwrite');
    tx.objectStore('keys').delete(key);
    await done(tx);
  }
}
