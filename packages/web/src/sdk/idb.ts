/** A few promise helpers over IndexedDB: enough for the chat and session stores, no library. */

export const DB_NAME = 'mychat';
const DB_VERSION = 1;

/** Object stores: kv (small records by key), conversations (by id), messages ([conv, seq]), outbox (by clientMsgId). */
export function openDb(name = DB_NAME): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(name, DB_VERSION);
    req.onupgradeneeded = () => {
      const db = req.result;
      if (!db.objectStoreNames.contains('kv')) db.createObjectStore('kv');
      if (!db.objectStoreNames.contains('conversations'))
        db.createObjectStore('conversations', { keyPath: 'id' });
      if (!db.objectStoreNames.contains('messages'))
        db.createObjectStore('messages', { keyPath: ['conversationId', 'seq'] });
      if (!db.objectStoreNames.contains('outbox')) db.createObjectStore('outbox', { keyPath: 'clientMsgId' });
    };
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
    req.onblocked = () => reject(new Error('IndexedDB upgrade blocked by another tab'));
  });
}

export function request<T>(req: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

/** Resolves when a read-write transaction has committed (durable), rejects when it aborts. */
export function done(tx: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onabort = tx.onerror = () => reject(tx.error ?? new Error('transaction aborted'));
  });
}
