import type { ChatBackend } from './chat-backend.js';
import type { ChatStore } from './chat-store.js';
import { applyEvents, applyPins, isSilent } from './message-events.js';
import type { ChatMessage, Conversation, MessageMeta, ReceiptEvent, SendStateEvent } from './types.js';

/** Where the engine reports what it stored. Called only after the store has it. */
export interface SyncSink {
  /** New messages of one conversation, in seq order, each at most once per (conversationId, seq). */
  messages(conversationId: string, messages: ChatMessage[], meta: MessageMeta): void;
  /** Stored messages that events among new ones changed (reactions, edits, recalls). */
  updated?(conversationId: string, messages: ChatMessage[]): void;
  /** A conversation's stored view changed. */
  conversation(conversation: Conversation): void;
  /** Delivered/read states of the user's own messages, derived from receipts. */
  sendStates(events: SendStateEvent[]): void;
}

export interface SyncEngineOptions {
  /** GetHistory page size while catching up (1-200). Default 200. */
  pageSize?: number;
  /** Conversations caught up at once after a Sync. Default 4. */
  concurrency?: number;
}

/**
 * Keeps the store's copy of every conversation complete and gapless, and emits each message
 * once. Push is a hint; sync is the guarantee:
 *
 * - catchUp(): Sync from the stored pts, store the changed conversations and the new pts, then for
 *   every head beyond the local high-water mark pull the range with GetHistory(afterSeq) pages.
 * - push(): seq <= local max is a duplicate (dropped, but for a link preview fetched since: put
 *   on the stored message, emitted as updated); seq == max + 1 is stored and emitted;
 *   anything higher is a gap, filled from the server (which includes the pushed message).
 *
 * Each page is stored together with the new high-water mark BEFORE it is emitted, so a crash
 * between the two re-processes (harmless: consumers de-duplicate by seq) instead of skipping.
 * Work on one conversation is serialized, so a push racing a pull cannot emit twice.
 */
export class SyncEngine {
  private readonly locks = new Map<string, Promise<unknown>>();
  private readonly pageSize: number;
  private readonly concurrency: number;

  constructor(
    private readonly backend: ChatBackend,
    private readonly store: ChatStore,
    private readonly sink: SyncSink,
    private readonly me: () => string | undefined,
    opts: SyncEngineOptions = {},
  ) {
    this.pageSize = Math.min(200, Math.max(1, opts.pageSize ?? 200));
    this.concurrency = Math.max(1, opts.concurrency ?? 4);
  }

  /** One full catch-up pass; resolves when every conversation is at its head. */
  async catchUp(): Promise<void> {
    const state = await this.store.getState();
    const r = await this.backend.sync(state.pts);
    for (const c of r.conversations) await this.locked(c.id, () => this.mergeConversation(c));
    // The cursor may move before the gaps are filled: every later Sync returns ALL heads,
    // so a crash here still finds (and pulls) them next time.
    await this.store.setState({ userId: state.userId, pts: Math.max(state.pts, r.pts) });
    const heads = [...r.heads];
    const worker = async () => {
      for (let h = heads.shift(); h; h = heads.shift()) {
        const { conversationId, lastSeq } = h;
        await this.locked(conversationId, () => this.pull(conversationId, lastSeq, 'sync'));
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.concurrency, heads.length) }, worker));
  }

  /** A message the server pushed (or acknowledged to this client's own send). */
  push(m: ChatMessage, source: MessageMeta['source'] = 'push'): Promise<void> {
    return this.locked(m.conversationId, async () => {
      const max = await this.localMax(m.conversationId);
      if (m.seq <= max) {
        // Already stored and emitted; pushed again only with its link preview, fetched since.
        if (m.linkPreview) await this.attachPreview(m);
        return;
      }
      if (m.seq === max + 1) await this.commit(m.conversationId, [m], source);
      else await this.pull(m.conversationId, m.seq, source === 'sent' ? 'sync' : source);
    });
  }

  /** Puts a link preview on the stored message (recalled and hidden ones stay as they are). */
  private async attachPreview(m: ChatMessage): Promise<void> {
    const stored = await this.store.getMessage(m.conversationId, m.seq);
    if (!stored || stored.recalled || stored.hidden || stored.linkPreview) return;
    stored.linkPreview = m.linkPreview;
    await this.store.putMessages(m.conversationId, [stored]);
    this.sink.updated?.(m.conversationId, [stored]);
  }

  /** A pushed ConversationEvent: store it; pull if it names messages not here yet. */
  conversationChanged(c: Conversation, pts: number): Promise<void> {
    return this.locked(c.id, async () => {
      await this.mergeConversation(c);
      const state = await this.store.getState();
      // Only a contiguous pts may advance the cursor; otherwise the next Sync covers the gap.
      if (pts === state.pts + 1) await this.store.setState({ ...state, pts });
      if (c.lastSeq > (await this.localMax(c.id))) await this.pull(c.id, c.lastSeq, 'push');
    });
  }

  /** Someone's cursors moved: update the stored conversation and derive the user's send states. */
  receipt(r: ReceiptEvent): Promise<void> {
    return this.locked(r.conversationId, async () => {
      const c = await this.store.getConversation(r.conversationId);
      const me = this.me();
      if (!c || !me) return;
      if (r.userId === me) {
        c.deliveredSeq = Math.max(c.deliveredSeq, r.deliveredSeq);
        c.readSeq = Math.max(c.readSeq, r.readSeq);
        await this.store.putConversations([c]);
        return this.sink.conversation(c);
      }
      if (c.type !== 'direct' || r.userId !== c.peerId) return;
      const events = await this.peerStates(c, r.deliveredSeq, r.readSeq);
      c.peerDeliveredSeq = Math.max(c.peerDeliveredSeq, r.deliveredSeq, r.readSeq);
      c.peerReadSeq = Math.max(c.peerReadSeq, r.readSeq);
      await this.store.putConversations([c]);
      this.sink.conversation(c);
      if (events.length) this.sink.sendStates(events);
    });
  }

  /** The user's stored messages a move of the 1:1 peer's cursors newly covers, as send states. */
  private async peerStates(c: Conversation, delivered: number, read: number): Promise<SendStateEvent[]> {
    const me = this.me();
    if (c.type !== 'direct' || !me) return [];
    const mine = async (after: number, upTo: number) =>
      upTo <= after
        ? []
        : (
            await this.store.getMessages(c.id, { afterSeq: after, beforeSeq: upTo + 1, limit: upTo - after })
          ).filter((m) => m.senderId === me);
    const events: SendStateEvent[] = [];
    const nowRead = await mine(c.peerReadSeq, read);
    const readSeqs = new Set(nowRead.map((m) => m.seq));
    for (const m of await mine(c.peerDeliveredSeq, Math.max(delivered, read)))
      if (!readSeqs.has(m.seq))
        events.push({ conversationId: c.id, clientMsgId: m.clientMsgId, seq: m.seq, state: 'delivered' });
    for (const m of nowRead)
      events.push({ conversationId: c.id, clientMsgId: m.clientMsgId, seq: m.seq, state: 'read' });
    return events;
  }

  /** Changes a stored conversation under its lock (read cursors, settings). */
  updateConversation(id: string, fn: (c: Conversation) => void): Promise<Conversation | undefined> {
    return this.locked(id, async () => {
      const c = await this.store.getConversation(id);
      if (!c) return undefined;
      fn(c);
      await this.store.putConversations([c]);
      this.sink.conversation(c);
      return c;
    });
  }

  /** Stores a conversation the server just described (e.g. after a settings change). */
  conversationFromServer(c: Conversation): Promise<void> {
    return this.locked(c.id, () => this.mergeConversation(c));
  }

  /** The contiguous high-water mark: firstSeq - 1 for a conversation never synced here. */
  private async localMax(conversationId: string): Promise<number> {
    const max = await this.store.getMaxSeq(conversationId);
    if (max !== undefined) return max;
    let c = await this.store.getConversation(conversationId);
    if (!c) {
      c = await this.backend.conversation(conversationId);
      await this.mergeConversation(c);
    }
    return Math.max(0, c.firstSeq - 1);
  }

  /** Pulls (afterSeq pages) until the conversation reaches `head` and the server has no more. Caller holds the lock. */
  private async pull(conversationId: string, head: number, source: MessageMeta['source']): Promise<void> {
    let max = await this.localMax(conversationId);
    let more = max < head;
    while (more) {
      const page = await this.backend.history({ conversationId, afterSeq: max, limit: this.pageSize });
      const fresh = page.messages.filter((m) => m.seq > max).sort((a, b) => a.seq - b.seq);
      if (!fresh.length) return; // nothing newer (the user left, or the head was stale)
      await this.commit(conversationId, fresh, source);
      max = fresh[fresh.length - 1]!.seq;
      more = page.hasMore || max < head;
    }
  }

  /** Stores a run of new messages and the new high-water mark, updates the conversation, then emits. */
  private async commit(
    conversationId: string,
    msgs: ChatMessage[],
    source: MessageMeta['source'],
  ): Promise<void> {
    const last = msgs[msgs.length - 1]!;
    const me = this.me();
    const conv = await this.store.getConversation(conversationId);
    const touched = await applyEvents(this.store, conversationId, msgs, me);
    await this.store.putMessages(conversationId, [...touched, ...msgs], last.seq);
    if (conv) {
      // Messages already counted in the server's snapshot (seq <= its lastSeq) are not unread
      // again; reactions and edits never are.
      for (const m of msgs)
        if (m.seq > conv.lastSeq && m.senderId !== me && m.seq > conv.readSeq && !isSilent(m))
          conv.unreadCount++;
      const shown = msgs.filter((m) => !isSilent(m)).pop();
      if (last.seq >= conv.lastSeq) {
        conv.lastSeq = last.seq;
        if (shown) conv.lastMessage = shown;
      }
      const edited = touched.find((t) => t.seq === conv.lastMessage?.seq);
      if (edited) conv.lastMessage = edited;
      applyPins(conv, msgs);
      await this.store.putConversations([conv]);
    }
    this.sink.messages(conversationId, msgs, { source });
    if (touched.length) this.sink.updated?.(conversationId, touched);
    if (conv) this.sink.conversation(conv);
    // The peer's receipt can overtake the ack of one's own send: report what it already covered.
    if (source === 'sent' && conv?.type === 'direct') {
      const late: SendStateEvent[] = [];
      for (const m of msgs) {
        if (m.senderId !== me || m.seq > conv.peerDeliveredSeq) continue;
        const state = m.seq <= conv.peerReadSeq ? 'read' : 'delivered';
        late.push({ conversationId, clientMsgId: m.clientMsgId, seq: m.seq, state });
      }
      if (late.length) this.sink.sendStates(late);
    }
  }

  /** Stores a server snapshot of a conversation, keeping a newer last message seen locally. */
  private async mergeConversation(c: Conversation): Promise<void> {
    const local = await this.store.getConversation(c.id);
    const merged = { ...c };
    if (local && local.lastSeq > c.lastSeq) {
      merged.lastSeq = local.lastSeq;
      if (local.lastMessage) merged.lastMessage = local.lastMessage;
    }
    // A snapshot also carries the peer's cursors: receipts missed while away still reach the sender.
    const events = local ? await this.peerStates(local, c.peerDeliveredSeq, c.peerReadSeq) : [];
    if (local) {
      merged.peerDeliveredSeq = Math.max(local.peerDeliveredSeq, c.peerDeliveredSeq);
      merged.peerReadSeq = Math.max(local.peerReadSeq, c.peerReadSeq);
    }
    await this.store.putConversations([merged]);
    this.sink.conversation(merged);
    if (events.length) this.sink.sendStates(events);
  }

  private locked<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.locks.get(key) ?? Promise.resolve();
    const run = prev.then(fn, fn);
    const tail = run.catch(() => undefined);
    this.locks.set(key, tail);
    void tail.then(() => {
      if (this.locks.get(key) === tail) this.locks.delete(key);
    });
    return run;
  }
}
