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

  /** A page of kept bodies in one read-only transaction (the reads run together). */
  async getMany(keys: readonly string[]): Promise<unknown[]> {
    const store = (await this.open()).transaction('keys').objectStore('keys');
    return Promise.all(keys.map((k) => request(store.get(k))));
  }

  async update(set: ReadonlyArray<readonly [string, unknown]>, del: readonly string[]): Promise<void> {
    const tx = (await this.open()).transaction('keys', 'readwrite');
    const store = tx.objectStore('keys');
    for (const k of del) store.delete(k);
    for (const [k, v] of set) store.put(v, k);
    await done(tx);
  }

  async deletePrefix(prefix: string): Promise<void> {
    const tx = (await this.open()).transaction('keys', 'readwrite');
    // Every string key that starts with prefix sorts between it and prefix + U+FFFF.
    tx.objectStore('keys').delete(IDBKeyRange.bound(prefix, `${prefix}\uffff`));
    await done(tx);
  }
}

/**
 * Signing out: the bodies of encrypted messages opened in this browser go (the keys stay, so
 * signing in again needs no restore). The same place as the SDK's OPENED_DIR (e2ee-cache.ts).
 */
export function forgetOpenedBodies(userId: string): Promise<void> {
  return new IdbKeyStore().deletePrefix(`e2ee/${userId}/opened/`);
}
