import type { ChatMessage, ChatStore, Conversation, OutboxEntry } from '@mychat/sdk';
import { done, openDb, request } from './idb.js';

type State = { userId: string | undefined; pts: number };
const maxKey = (conversationId: string) => `max:${conversationId}`;

/**
 * The SDK's ChatStore over IndexedDB, so a reload shows conversations and history at once and
 * unsent messages survive a closed tab. Messages are keyed by [conversationId, seq]; a
 * conversation's high-water mark is written in the same transaction as its messages.
 */
export class IdbChatStore implements ChatStore {
  private readonly db: Promise<IDBDatabase>;

  constructor(db?: Promise<IDBDatabase>) {
    this.db = db ?? openDb();
  }

  private async tx(stores: string[], mode: IDBTransactionMode = 'readonly') {
    return (await this.db).transaction(stores, mode);
  }

  async getState(): Promise<State> {
    const tx = await this.tx(['kv']);
    return (
      ((await request(tx.objectStore('kv').get('state'))) as State | undefined) ?? {
        userId: undefined,
        pts: 0,
      }
    );
  }

  async setState(state: State): Promise<void> {
    const tx = await this.tx(['kv'], 'readwrite');
    tx.objectStore('kv').put({ ...state }, 'state');
    await done(tx);
  }

  async getConversation(id: string): Promise<Conversation | undefined> {
    const tx = await this.tx(['conversations']);
    return (await request(tx.objectStore('conversations').get(id))) as Conversation | undefined;
  }

  async putConversations(conversations: Conversation[]): Promise<void> {
    if (!conversations.length) return;
    const tx = await this.tx(['conversations'], 'readwrite');
    const os = tx.objectStore('conversations');
    for (const c of conversations) os.put(c);
    await done(tx);
  }

  async listConversations(): Promise<Conversation[]> {
    const tx = await this.tx(['conversations']);
    return (await request(tx.objectStore('conversations').getAll())) as Conversation[];
  }

  async getMaxSeq(conversationId: string): Promise<number | undefined> {
    const tx = await this.tx(['kv']);
    return (await request(tx.objectStore('kv').get(maxKey(conversationId)))) as number | undefined;
  }

  async putMessages(conversationId: string, messages: ChatMessage[], maxSeq?: number): Promise<void> {
    const tx = await this.tx(['messages', 'kv'], 'readwrite');
    const os = tx.objectStore('messages');
    for (const m of messages) os.put(m);
    if (maxSeq !== undefined) tx.objectStore('kv').put(maxSeq, maxKey(conversationId));
    await done(tx);
  }

  async getMessage(conversationId: string, seq: number): Promise<ChatMessage | undefined> {
    const tx = await this.tx(['messages']);
    return (await request(tx.objectStore('messages').get([conversationId, seq]))) as ChatMessage | undefined;
  }

  async getMessages(
    conversationId: string,
    range: { afterSeq?: number; beforeSeq?: number; limit: number },
  ): Promise<ChatMessage[]> {
    const lo = (range.afterSeq ?? 0) + 1;
    const hi = range.beforeSeq === undefined ? Number.MAX_SAFE_INTEGER : range.beforeSeq - 1;
    if (hi < lo || range.limit <= 0) return [];
    const tx = await this.tx(['messages']);
    const keys = IDBKeyRange.bound([conversationId, lo], [conversationId, hi]);
    // afterSeq asks for the oldest after it; otherwise the newest before beforeSeq.
    const newest = range.afterSeq === undefined;
    const out: ChatMessage[] = [];
    await new Promise<void>((resolve, reject) => {
      const req = tx.objectStore('messages').openCursor(keys, newest ? 'prev' : 'next');
      req.onerror = () => reject(req.error);
      req.onsuccess = () => {
        const cur = req.result;
        if (!cur || out.length >= range.limit) return resolve();
        out.push(cur.value as ChatMessage);
        cur.continue();
      };
    });
    return newest ? out.reverse() : out;
  }

  async listOutbox(): Promise<OutboxEntry[]> {
    const tx = await this.tx(['outbox']);
    const all = (await request(tx.objectStore('outbox').getAll())) as OutboxEntry[];
    return all.sort((a, b) => a.createdAt - b.createdAt);
  }

  async putOutbox(entry: OutboxEntry): Promise<void> {
    const tx = await this.tx(['outbox'], 'readwrite');
    tx.objectStore('outbox').put(entry);
    await done(tx);
  }

  async deleteOutbox(clientMsgId: string): Promise<void> {
    const tx = await this.tx(['outbox'], 'readwrite');
    tx.objectStore('outbox').delete(clientMsgId);
    await done(tx);
  }

  async clear(): Promise<void> {
    const tx = await this.tx(['kv', 'conversations', 'messages', 'outbox'], 'readwrite');
    // The session lives in kv too, under its own key: keep it.
    const kv = tx.objectStore('kv');
    const keys = (await request(kv.getAllKeys())) as IDBValidKey[];
    for (const k of keys) if (k !== 'session') kv.delete(k);
    for (const s of ['conversations', 'messages', 'outbox']) tx.objectStore(s).clear();
    await done(tx);
  }
}
