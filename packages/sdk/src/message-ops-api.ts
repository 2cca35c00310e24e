import type { Client } from '@connectrpc/connect';
import type { message } from '@mychat/protocol';
import type { Authed } from './chat-backend.js';
import type { ChatStore } from './chat-store.js';
import { MyChatError, toMyChatError } from './errors.js';
import { toMessage } from './mappers.js';
import type { SyncEngine } from './sync-engine.js';
import type { ChatMessage, ReactionCount } from './types.js';

/** What the reaction, edit and pin calls need of the client. @internal */
export interface MessageOpsContext {
  store: ChatStore;
  engine: SyncEngine;
  rpc: Client<typeof message.MessageService>;
  authed: Authed;
}

/** Transient failures after which a reaction is sent again with the same id. */
const RETRY = new Set(['NETWORK', 'UNAVAILABLE', 'DEADLINE_EXCEEDED', 'INTERNAL']);

/**
 * Reactions, edits and pins (part of `client.messages`). Each change is a message in the
 * conversation, so every device and member learns it through sync; the SDK applies them to
 * the stored messages and emits 'messageUpdated'.
 */
export class MessageOpsApi {
  /** @internal */
  constructor(protected readonly ops: MessageOpsContext) {}

  /**
   * Adds the user's `emoji` reaction (表情回应) to a message they can see; resolves with the
   * message's reactions now. Silent for the others (no unread, no notification). Retried
   * with the same id on a transient failure, so never counted twice. REACTION_LIMIT past 20
   * different emoji on a message; MESSAGE_RECALLED on a recalled one.
   */
  react(conversationId: string, seq: number, emoji: string): Promise<ReactionCount[]> {
    return this.reaction(conversationId, seq, emoji, false);
  }

  /** Takes the user's `emoji` reaction off a message; resolves with its reactions now. */
  unreact(conversationId: string, seq: number, emoji: string): Promise<ReactionCount[]> {
    return this.reaction(conversationId, seq, emoji, true);
  }

  private async reaction(conversationId: string, seq: number, emoji: string, remove: boolean) {
    const clientMsgId = `react-${randomKey()}`;
    const call = () =>
      this.ops.authed((h) =>
        this.ops.rpc.reactToMessage({ conversationId, seq, emoji, remove, clientMsgId }, h),
      );
    let r: message.ReactToMessageResponse;
    try {
      r = await call();
    } catch (err) {
      if (!RETRY.has(toMyChatError(err).reason)) throw err;
      r = await call();
    }
    if (r.message) await this.ops.engine.push(toMessage(r.message), 'sent');
    return r.reactions.map((c) => ({ emoji: c.emoji, count: c.count, mine: c.mine }));
  }

  /**
   * Replaces the text of one's own text message (within the server's edit window, a day by
   * default; EDIT_WINDOW_PASSED after it or when editing is off). Resolves with the edited
   * message, marked with `editedAt`. MESSAGE_RECALLED for a recalled message,
   * PERMISSION_DENIED for someone else's.
   */
  async edit(conversationId: string, seq: number, text: string): Promise<ChatMessage> {
    const r = await this.ops.authed((h) => this.ops.rpc.editMessage({ conversationId, seq, text }, h));
    if (!r.message || !r.edited) throw new MyChatError('the server sent no message', 'UNKNOWN');
    await this.ops.engine.push(toMessage(r.message), 'sent');
    return toMessage(r.edited);
  }

  /**
   * Pins a message to the conversation's pinned bar (groups: owners and admins; 1:1: both).
   * Resolves with the pinned seqs, newest pin first. PIN_LIMIT past 50.
   */
  pin(conversationId: string, seq: number): Promise<number[]> {
    return this.pinning(conversationId, seq, false);
  }

  /** Takes a message off the pinned bar; resolves with the pinned seqs left. */
  unpin(conversationId: string, seq: number): Promise<number[]> {
    return this.pinning(conversationId, seq, true);
  }

  private async pinning(conversationId: string, seq: number, unpin: boolean): Promise<number[]> {
    const r = await this.ops.authed((h) => this.ops.rpc.pinMessage({ conversationId, seq, unpin }, h));
    if (r.message) await this.ops.engine.push(toMessage(r.message), 'sent');
    const pinnedSeqs = [...r.pinnedSeqs];
    await this.ops.engine.updateConversation(conversationId, (c) => {
      c.pinnedSeqs = pinnedSeqs;
    });
    return pinnedSeqs;
  }

  /** The conversation's pinned messages the user can see, newest pin first (from the server). */
  async pinned(conversationId: string): Promise<ChatMessage[]> {
    const r = await this.ops.authed((h) => this.ops.rpc.listPinnedMessages({ conversationId }, h));
    return r.messages.map(toMessage);
  }
}

function randomKey(): string {
  const b = new Uint8Array(12);
  globalThis.crypto.getRandomValues(b);
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}
