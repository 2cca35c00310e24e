import type { SessionStore, StoredSession } from '@mychat/sdk';
import { done, openDb, request } from './idb.js';

const LOCK = 'mychat.session.refresh';

/**
 * The SDK's SessionStore in the same IndexedDB as the chat data (kv store, key "session").
 * Every tab of this browser shares it, so refreshes take a Web Lock: one tab rotates the
 * refresh token while the others wait, then re-read the stored session and use the new one
 * (sending a rotated token again would make the server end the session everywhere).
 */
export class IdbSessionStore implements SessionStore {
  constructor(private readonly db: Promise<IDBDatabase> = openDb()) {}

  async load(): Promise<StoredSession | undefined> {
    const tx = (await this.db).transaction(['kv']);
    return (await request(tx.objectStore('kv').get('session'))) as StoredSession | undefined;
  }

  async save(session: StoredSession): Promise<void> {
    const tx = (await this.db).transaction(['kv'], 'readwrite');
    tx.objectStore('kv').put({ ...session }, 'session');
    await done(tx);
  }

  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    // Web Locks exist in secure contexts only (https, localhost); elsewhere there are no
    // other tabs to coordinate with reliably, and the SDK still re-reads the store first.
    if (!globalThis.navigator?.locks) return fn();
    return navigator.locks.request(LOCK, () => fn()) as Promise<T>;
  }

  async clear(): Promise<void> {
    const tx = (await this.db).transaction(['kv'], 'readwrite');
    tx.objectStore('kv').delete('session');
    await done(tx);
  }
}
