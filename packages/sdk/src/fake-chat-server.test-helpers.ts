import type { ChatBackend, SyncResult } from './chat-backend.js';
import type { ChatMessage, Conversation } from './types.js';

/**
 * An in-memory stand-in for MessageService, following its contract: seq gapless from 1 per
 * conversation, GetHistory(afterSeq) oldest first with hasMore, Sync returning changed
 * conversations and every head. Only for the SDK's unit tests; the real server has system tests.
 */
export class FakeChatServer implements ChatBackend {
  readonly convs = new Map<string, Conversation>();
  readonly msgs = new Map<string, ChatMessage[]>();
  pts = 0;
  calls: string[] = [];
  /** Throws from history() when it returns true (simulated network failure). */
  failHistory: (req: { conversationId: string; afterSeq?: number }) => boolean = () => false;

  addConversation(id: string, patch: Partial<Conversation> = {}): Conversation {
    const c: Conversation = {
      id,
      type: 'direct',
      peerId: 'peer',
      name: '',
      lastSeq: 0,
      readSeq: 0,
      deliveredSeq: 0,
      unreadCount: 0,
      muted: false,
      pinned: false,
      peerDeliveredSeq: 0,
      peerReadSeq: 0,
      canSend: true,
      firstSeq: 1,
      pts: ++this.pts,
      left: false,
      memberCount: 2,
      ...patch,
    };
    this.convs.set(id, c);
    this.msgs.set(id, this.msgs.get(id) ?? []);
    return c;
  }

  /** Appends a message (next seq) and returns it, as SendMessage would. */
  append(conversationId: string, senderId = 'peer', text?: string): ChatMessage {
    const list = this.msgs.get(conversationId)!;
    const seq = list.length + 1;
    const m: ChatMessage = {
      conversationId,
      seq,
      id: String(1000 + seq),
      senderId,
      clientMsgId: `c-${conversationId}-${seq}`,
      content: { type: 'text', text: text ?? `${conversationId}#${seq}` },
      replyToSeq: 0,
      mentionUserIds: [],
      mentionAll: false,
      createdAt: 1_700_000_000_000 + seq,
      recalled: false,
    };
    list.push(m);
    const c = this.convs.get(conversationId)!;
    c.lastSeq = seq;
    c.lastMessage = m;
    c.pts = ++this.pts;
    return structuredClone(m);
  }

  /** Appends n messages. */
  fill(conversationId: string, n: number, senderId = 'peer'): void {
    for (let i = 0; i < n; i++) this.append(conversationId, senderId);
  }

  async sync(sincePts: number): Promise<SyncResult> {
    this.calls.push(`sync(${sincePts})`);
    const all = [...this.convs.values()];
    return {
      pts: this.pts,
      conversations: all.filter((c) => sincePts === 0 || c.pts > sincePts).map((c) => structuredClone(c)),
      heads: all.map((c) => ({ conversationId: c.id, lastSeq: c.lastSeq })),
    };
  }

  async history(req: { conversationId: string; afterSeq?: number; beforeSeq?: number; limit: number }) {
    this.calls.push(
      `history(${req.conversationId},after=${req.afterSeq ?? '-'},before=${req.beforeSeq ?? 0})`,
    );
    if (this.failHistory(req)) throw Object.assign(new Error('network down'), { reason: 'NETWORK' });
    const c = this.convs.get(req.conversationId)!;
    const visible = (this.msgs.get(req.conversationId) ?? []).filter((m) => m.seq >= c.firstSeq);
    if (req.afterSeq !== undefined) {
      const rest = visible.filter((m) => m.seq > req.afterSeq!);
      return { messages: structuredClone(rest.slice(0, req.limit)), hasMore: rest.length > req.limit };
    }
    const before = req.beforeSeq ? visible.filter((m) => m.seq < req.beforeSeq!) : visible;
    return { messages: structuredClone(before.slice(-req.limit)), hasMore: before.length > req.limit };
  }

  async conversation(id: string): Promise<Conversation> {
    this.calls.push(`conversation(${id})`);
    const c = this.convs.get(id);
    if (!c) throw new Error('NOT_FOUND');
    return structuredClone(c);
  }
}
