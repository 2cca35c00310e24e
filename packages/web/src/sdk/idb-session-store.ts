import type { SessionStore, StoredSession } from '@mychat/sdk';
import { done, openDb, request } from './idb.js';

/** The SDK's SessionStore in the same IndexedDB as the chat data (kv store, key "session"). */
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

  async clear(): Promise<void> {
    const tx = (await this.db).transaction(['kv'], 'readwrite');
    tx.objectStore('kv').delete('session');
    await done(tx);
  }
}
