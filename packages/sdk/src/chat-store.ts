import type { ChatMessage, Conversation, OutboxEntry } from './types.js';

/**
 * Where the client keeps chat state between reconnects (and, with a persistent store, between
 * runs): the sync cursor, conversations, messages by (conversationId, seq), each conversation's
 * contiguous high-water mark, and the outbox of sends not yet acknowledged.
 *
 * Every method is async so an IndexedDB or SQLite store can implement it. One store belongs to
 * one account: the client clears it when a different user signs in.
 */
export interface ChatStore {
  /** The account the data belongs to and the user's update counter from the last Sync (0: never). */
  getState(): Promise<{ userId: string | undefined; pts: number }>;
  setState(state: { userId: string | undefined; pts: number }): Promise<void>;

  getConversation(id: string): Promise<Conversation | undefined>;
  /** Inserts or replaces conversations by id. */
  putConversations(conversations: Conversation[]): Promise<void>;
  listConversations(): Promise<Conversation[]>;

  /**
   * The highest seq up to which every message the user may read is stored (starts at
   * firstSeq - 1); undefined when the conversation was never synced here.
   */
  getMaxSeq(conversationId: string): Promise<number | undefined>;
  /**
   * Stores messages (replacing any with the same seq) and, when given, the new contiguous
   * high-water mark, as one step: a store that persists must not keep one without the other.
   */
  putMessages(conversationId: string, messages: ChatMessage[], maxSeq?: number): Promise<void>;
  getMessage(conversationId: string, seq: number): Promise<ChatMessage | undefined>;
  /** Stored messages with afterSeq < seq < beforeSeq (bounds optional), oldest first, at most `limit` of the newest. */
  getMessages(
    conversationId: string,
    range: { afterSeq?: number; beforeSeq?: number; limit: number },
  ): Promise<ChatMessage[]>;

  /** Pending sends in the order they were queued. */
  listOutbox(): Promise<OutboxEntry[]>;
  putOutbox(entry: OutboxEntry): Promise<void>;
  deleteOutbox(clientMsgId: string): Promise<void>;

  /** Forgets everything (sign-out, or another account). */
  clear(): Promise<void>;
}

/**
 * A copy of a message for the store to keep or hand out: its objects, arrays and byte arrays
 * copied (a byte array's own bytes only, not the rest of a buffer it views); anything else
 * (numbers, strings, and a value of another kind, structured-cloned) as a structured clone would
 * give it. A message is plain data, and a copy by hand is several times cheaper than
 * `structuredClone`, most of all for an encrypted message's byte arrays.
 */
export function copyMessage(m: ChatMessage): ChatMessage {
  return copyData(m);
}

function copyData<T>(v: T): T {
  if (typeof v !== 'object' || v === null) return v;
  if (Array.isArray(v)) return v.map(copyData) as T;
  if (v instanceof Uint8Array) return v.slice() as T;
  if (Object.getPrototypeOf(v) !== Object.prototype) return structuredClone(v);
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(v)) out[k] = copyData((v as Record<string, unknown>)[k]);
  return out as T;
}

/**
 * The default ChatStore: everything in memory, gone when the process ends. What it keeps and
 * hands out are copies (a caller's later change does not reach the store, nor the store's the
 * caller); messages by {@link copyMessage}.
 */
export class MemoryChatStore implements ChatStore {
  private state: { userId: string | undefined; pts: number } = { userId: undefined, pts: 0 };
  private readonly conversations = new Map<string, Conversation>();
  private readonly messages = new Map<string, Map<number, ChatMessage>>();
  private readonly maxSeq = new Map<string, number>();
  private readonly outbox = new Map<string, OutboxEntry>();

  async getState() {
    return { ...this.state };
  }
  async setState(state: { userId: string | undefined; pts: number }) {
    this.state = { ...state };
  }
  async getConversation(id: string) {
    const c = this.conversations.get(id);
    return c && structuredClone(c);
  }
  async putConversations(conversations: Conversation[]) {
    for (const c of conversations) this.conversations.set(c.id, structuredClone(c));
  }
  async listConversations() {
    return [...this.conversations.values()].map((c) => structuredClone(c));
  }
  async getMaxSeq(conversationId: string) {
    return this.maxSeq.get(conversationId);
  }
  async putMessages(conversationId: string, messages: ChatMessage[], maxSeq?: number) {
    let bySeq = this.messages.get(conversationId);
    if (!bySeq) this.messages.set(conversationId, (bySeq = new Map()));
    for (const m of messages) bySeq.set(m.seq, copyMessage(m));
    if (maxSeq !== undefined) this.maxSeq.set(conversationId, maxSeq);
  }
  async getMessage(conversationId: string, seq: number) {
    const m = this.messages.get(conversationId)?.get(seq);
    return m && copyMessage(m);
  }
  async getMessages(conversationId: string, range: { afterSeq?: number; beforeSeq?: number; limit: number }) {
    const after = range.afterSeq ?? 0;
    const before = range.beforeSeq ?? Infinity;
    const all = [...(this.messages.get(conversationId)?.values() ?? [])]
      .filter((m) => m.seq > after && m.seq < before)
      .sort((a, b) => a.seq - b.seq);
    // afterSeq asks for the oldest ones after it; otherwise the newest before beforeSeq.
    const page = range.afterSeq !== undefined ? all.slice(0, range.limit) : all.slice(-range.limit);
    return page.map(copyMessage);
  }
  async listOutbox() {
    return [...this.outbox.values()].map((e) => structuredClone(e));
  }
  async putOutbox(entry: OutboxEntry) {
    this.outbox.set(entry.clientMsgId, structuredClone(entry));
  }
  async deleteOutbox(clientMsgId: string) {
    this.outbox.delete(clientMsgId);
  }
  async clear() {
    this.state = { userId: undefined, pts: 0 };
    this.conversations.clear();
    this.messages.clear();
    this.maxSeq.clear();
    this.outbox.clear();
  }
}
