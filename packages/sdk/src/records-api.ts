import type { Client } from '@connectrpc/connect';
import type { message } from '@mychat/protocol';
import type { Authed } from './chat-backend.js';
import type { ChatStore } from './chat-store.js';
import { MyChatError } from './errors.js';
import { toConversation, toMessage } from './mappers.js';
import { newClientMsgId, type MessagesApi } from './messages-api.js';
import type { SyncEngine } from './sync-engine.js';
import type { ChatMessage, Conversation } from './types.js';

/** What RecordsApi works with (built by MyChatClient). @internal */
export interface RecordsContext {
  store: ChatStore;
  engine: SyncEngine;
  rpc: Client<typeof message.MessageService>;
  authed: Authed;
  messages: MessagesApi;
}

/** Most messages one merge-forward or one hideMessages call takes (the server's limit). */
export const MAX_RECORD_ITEMS = 100;

export interface ForwardAsRecordOptions {
  /** Shown on the record card, e.g. "Chat history of A and B" (at most 128 characters). */
  title: string;
  /** A note sent after the record as an ordinary text message (WeChat's 留言). */
  note?: string;
  /** Your own idempotency key (1-64 characters); a random one by default. Retries reuse it. */
  clientMsgId?: string;
}

/**
 * Records: merge-forward (合并转发), delete for me, clear history and drafts. Everything but
 * the forward is the user's own: their other devices follow (a `conversation` event, or the
 * next sync), nobody else sees a change.
 */
export class RecordsApi {
  /** @internal */
  constructor(private readonly ctx: RecordsContext) {}

  /**
   * Sends 1-100 messages of `fromConversationId` (ones you can see) to `toConversationId` as
   * one chat-record message; the server builds the snapshots, and whoever sees the record
   * opens its files. Then sends `note`, if any. Resolves with the record. Rejects with
   * FORWARD_TOO_MANY, RECORD_TOO_LARGE, PERMISSION_DENIED (a message you cannot see), or what
   * a send into `toConversationId` would (NOT_FRIENDS, MUTED, ...).
   */
  async forwardAsRecord(
    toConversationId: string,
    fromConversationId: string,
    seqs: readonly number[],
    options: ForwardAsRecordOptions,
  ): Promise<ChatMessage> {
    if (seqs.length < 1 || seqs.length > MAX_RECORD_ITEMS)
      throw new MyChatError(`pick 1 to ${MAX_RECORD_ITEMS} messages`, 'FORWARD_TOO_MANY', 'seqs');
    const r = await this.ctx.authed((h) =>
      this.ctx.rpc.forwardMessages(
        {
          conversationId: toConversationId,
          clientMsgId: options.clientMsgId ?? newClientMsgId(),
          sourceConversationId: fromConversationId,
          seqs: [...seqs],
          title: options.title,
        },
        h,
      ),
    );
    if (!r.message) throw new MyChatError('the server sent no message', 'UNKNOWN');
    const record = toMessage(r.message);
    await this.ctx.engine.push(record, 'sent');
    const note = options.note?.trim();
    if (note) await this.ctx.messages.sendText(toConversationId, note);
    return record;
  }

  /** Delete for me: 1-100 messages, on all my devices; others keep them. Resolves with the conversation. */
  hideMessages(conversationId: string, seqs: readonly number[]): Promise<Conversation> {
    return this.apply(conversationId, (h) =>
      this.ctx.rpc.hideMessages({ conversationId, seqs: [...seqs] }, h),
    );
  }

  /** Clears my history of this conversation up to now, on all my devices; others keep theirs. */
  clearHistory(conversationId: string): Promise<Conversation> {
    return this.apply(conversationId, (h) => this.ctx.rpc.clearHistory({ conversationId }, h));
  }

  /**
   * Keeps my draft of a conversation for my other devices ("" deletes it). Last writer wins by
   * `updatedAt` (default now): a slower device's older draft does not overwrite a newer one.
   */
  setDraft(conversationId: string, text: string, updatedAt = Date.now()): Promise<Conversation> {
    return this.apply(conversationId, (h) =>
      this.ctx.rpc.setDraft({ conversationId, text, updatedAtMs: updatedAt }, h),
    );
  }

  /** Whether a message is shown to me: not deleted for me and not cleared. */
  static visible(c: Pick<Conversation, 'clearedSeq' | 'hiddenSeqs'>, m: ChatMessage): boolean {
    return !m.hidden && m.seq > (c.clearedSeq ?? 0) && !(c.hiddenSeqs ?? []).includes(m.seq);
  }

  private async apply(
    conversationId: string,
    call: (h: { headers: Record<string, string> }) => Promise<{ conversation?: message.Conversation }>,
  ): Promise<Conversation> {
    const r = await this.ctx.authed(call);
    if (!r.conversation) throw new MyChatError('the server sent no conversation', 'UNKNOWN');
    await this.ctx.engine.conversationFromServer(toConversation(r.conversation));
    return (await this.ctx.store.getConversation(conversationId)) ?? toConversation(r.conversation);
  }
}
