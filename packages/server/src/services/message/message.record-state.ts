import type { message as pb } from '@mychat/protocol';
import { pushFrame, pushToUsers } from '../../contracts/push-envelope.js';
import { AppError, ErrorCode, errors } from '../../kernel/errors.js';
import type { Caller } from '../../rpc/call-context.js';
import type { MessageConversations } from './message.conversations.js';
import { membershipOf, type MessageServiceDeps } from './message.deps.js';
import { MAX_RECORD_ITEMS } from './message.forward.js';
import type { Db } from './store/rows.js';
import { firstReadable, visibleHead } from './message.views.js';
import { refuseInEncrypted } from './message.encrypted.js';

/** Most seqs one member keeps deleted-for-me in a conversation after their last clear. */
export const MAX_HIDDEN = 1000;
/** A draft's limit, as a text message's default (8 KiB of UTF-8). */
export const MAX_DRAFT_BYTES = 8 * 1024;

/**
 * What a member changes for themself only: delete for me, clear history, drafts. Each change
 * bumps the member's pts and goes to their other devices as a ConversationEvent (the
 * Conversation carries cleared_seq, hidden_seqs and the draft), so a device that was away
 * learns it from its next Sync; nobody else sees anything change.
 */
export class MessageRecordState {
  constructor(
    private readonly d: MessageServiceDeps,
    private readonly conversations: MessageConversations,
  ) {}

  /** Delete for me: 1-100 seqs the caller can read now. */
  async hide(caller: Caller, convId: string, seqs: readonly number[]): Promise<pb.Conversation> {
    const { store } = this.d;
    if (seqs.length < 1) throw errors.invalidArgument('pick at least one message', 'seqs');
    if (seqs.length > MAX_RECORD_ITEMS)
      throw new AppError(ErrorCode.FORWARD_TOO_MANY, `at most ${MAX_RECORD_ITEMS} messages at once`, {
        field: 'seqs',
      });
    const { conv, me } = await membershipOf(store, convId, caller.userId);
    const lo = firstReadable(me);
    const hi = visibleHead(conv, me);
    const wanted = [...new Set(seqs)];
    if (wanted.some((s) => s < lo || s > hi)) throw errors.notFound('no such message');
    const already = await store.hiddenAmong(convId, caller.userId, wanted);
    const fresh = wanted.filter((s) => !already.has(s));
    if ((await store.hiddenCount(convId, caller.userId, me.clearedSeq)) + fresh.length > MAX_HIDDEN)
      throw new AppError(
        ErrorCode.HIDDEN_TOO_MANY,
        `at most ${MAX_HIDDEN} messages deleted one by one; clear the chat history instead`,
      );
    await store.hide(convId, caller.userId, fresh);
    return this.changed(caller, convId);
  }

  /** Clears the caller's history up to the head they see now. */
  async clear(caller: Caller, convId: string): Promise<pb.Conversation> {
    const { store } = this.d;
    const { conv, me } = await membershipOf(store, convId, caller.userId);
    const head = visibleHead(conv, me);
    return this.changed(caller, convId, (tx) => store.clearUpTo(tx, convId, caller.userId, head));
  }

  /** Keeps the caller's draft; an older write than the stored one changes nothing. */
  async setDraft(caller: Caller, convId: string, text: string, atMs: number): Promise<pb.Conversation> {
    const { store } = this.d;
    if (Buffer.byteLength(text) > MAX_DRAFT_BYTES)
      throw new AppError(ErrorCode.DRAFT_TOO_LONG, `a draft is at most ${MAX_DRAFT_BYTES} bytes`, {
        field: 'text',
      });
    if (!Number.isFinite(atMs) || atMs < 0)
      throw errors.invalidArgument('updatedAtMs is not a time', 'updatedAtMs');
    const { conv } = await membershipOf(store, convId, caller.userId);
    if (text !== '') refuseInEncrypted(conv, 'drafts kept on the server');
    const now = this.d.clock.now();
    const at = atMs === 0 || atMs > now ? now : Math.floor(atMs);
    let written = false;
    const view = await this.changed(caller, convId, async (tx) => {
      written = await store.putDraft(tx, convId, caller.userId, text, at);
      return written;
    });
    return view;
  }

  /**
   * Applies `write` (when given) with a pts bump of the caller in one transaction, then tells
   * the caller's other devices. A write that returns false changed nothing: no bump, no push.
   */
  private async changed(
    caller: Caller,
    convId: string,
    write?: (tx: Db) => Promise<unknown>,
  ): Promise<pb.Conversation> {
    const { store } = this.d;
    const bumped = await store.transaction(async (tx) => {
      if (write && (await write(tx)) === false) return false;
      await store.bumpPts(tx, convId, [caller.userId]);
      return true;
    });
    const view = await this.conversations.conversation(caller, convId);
    if (bumped)
      await pushToUsers(
        this.d.bus,
        [caller.userId],
        pushFrame({ case: 'conversation', value: { conversation: view, pts: view.pts } }),
        caller.sessionId,
      );
    return view;
  }
}
