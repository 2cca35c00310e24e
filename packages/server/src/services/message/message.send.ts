import { message as pb } from '@mychat/protocol';
import { isUniqueViolation } from '../../adapters/sql/sql.js';
import { pushFrame } from '../../contracts/push-envelope.js';
import { packVia } from '../../contracts/stickers.js';
import { AppError, ErrorCode, errors } from '../../kernel/errors.js';
import { parseId } from '../../kernel/ids.js';
import { ensureTimeLeft } from '../../kernel/request-context.js';
import type { Caller } from '../../rpc/call-context.js';
import { seenMessage } from './message.attachments.js';
import { pushReceipt } from './message.cursors.js';
import { blockError, fanOut, type MessageServiceDeps } from './message.deps.js';
import { canonicalContent, TYPE_OF, type MediaAttachment } from './message.media.js';
import { isResendOf } from './message.resend.js';
import { checkEncryption } from './message.encrypted.js';
import {
  CONV_GROUP,
  ROLE_ADMIN,
  type ConversationRow,
  type MemberRow,
  type MessageRow,
} from './message.tables.js';
import { encodeContent, messageView, sendBlock } from './message.views.js';

export interface SendInput {
  conversationId: string;
  clientMsgId: string;
  content: pb.MessageContent;
  replyToSeq: number;
  mentionUserIds: string[];
  mentionAll: boolean;
  /** Set for image, voice, video and file messages. */
  media?: MediaAttachment;
  /** Forwarding: the message whose files this one reuses. */
  forwardedFrom?: { convId: string; seq: number };
  /**
   * Content the server built (a chat record): grants its files to the message about to be
   * stored, after the sender may send there and before the message is stored.
   */
  attachFiles?: (target: { conversationId: string; clientMsgId: string }) => Promise<void>;
}

/**
 * Sending, where the delivery contract lives: a message gets its seq in the same
 * transaction that stores it (the group commit, message.writer.ts), the sender's ack follows
 * the commit, and push to members is a best-effort hint after it. Part of the public
 * MessageService.
 */
export class MessageSender {
  /** Sends being worked on, by sender and client id: a retry meanwhile joins the first. */
  private readonly sending = new Map<string, Promise<{ stored: MessageRow }>>();

  constructor(private readonly d: MessageServiceDeps) {}

  /**
   * Stores a message and pushes it to the other members. A retry (same sender and client id)
   * of a stored message gets the original back; a retry that arrives while the first
   * attempt is still being worked on here waits for it and gets its answer, instead of
   * queueing the same work again (a client that gave up waiting under load).
   */
  async send(caller: Caller, input: SendInput): Promise<{ message: pb.Message; duplicate: boolean }> {
    const key = `${caller.userId} ${input.clientMsgId}`;
    const running = this.sending.get(key);
    if (running) {
      const first = await running.catch(() => undefined);
      // The first attempt failed: this one tries on its own (the unique index still guards).
      if (!first) return this.sendOnce(caller, input);
      return this.duplicateOf(first.stored, input);
    }
    const attempt = this.sendOnce(caller, input);
    const tracked = attempt.then((r) => ({ stored: r.row }));
    tracked.catch(() => undefined);
    this.sending.set(key, tracked);
    try {
      const r = await attempt;
      return { message: r.message, duplicate: r.duplicate };
    } finally {
      this.sending.delete(key);
    }
  }

  private async sendOnce(
    caller: Caller,
    input: SendInput,
  ): Promise<{ message: pb.Message; duplicate: boolean; row: MessageRow }> {
    const { store } = this.d;
    // A retry of a stored message is recognised by the unique (sender, client_msg_id) index
    // at insert time, not by a lookup first: the common case, a new message, costs one query
    // less. A retry refused for any reason gets its original back instead of the refusal.
    const orOriginal = async (refusal: unknown) => {
      const prior = await store.messageByClientId(caller.userId, input.clientMsgId);
      if (prior) return { ...this.duplicateOf(prior, input), row: prior };
      throw refusal;
    };
    let conv: ConversationRow;
    let me: MemberRow;
    let directMembers: string[] | undefined;
    let hidesReceipts: boolean;
    const now = this.d.clock.now();
    try {
      parseId(input.conversationId, 'conversationId');
      const found = await store.sendContext(input.conversationId, caller.userId);
      if (!found) throw new AppError(ErrorCode.NOT_FOUND, 'no such conversation');
      ({ conv, me, directMembers, hidesReceipts } = found);
      const block = sendBlock(conv, me, now);
      if (block !== 'ok') throw blockError(block);
      checkEncryption(conv, input.content);
      if (input.mentionAll && (conv.type !== CONV_GROUP || me.role < ROLE_ADMIN)) {
        throw errors.permissionDenied('only group owners and admins may mention everyone');
      }
      if (input.replyToSeq && (input.replyToSeq < me.firstSeq || input.replyToSeq > conv.lastSeq)) {
        throw errors.invalidArgument('replyToSeq is not a message you can see', 'replyToSeq');
      }
      await this.admitSend(caller.userId);
      if (input.media) input = { ...input, content: await this.attach(caller, conv, input, input.media) };
      else if (input.attachFiles)
        await input.attachFiles({ conversationId: conv.id, clientMsgId: input.clientMsgId });
    } catch (err) {
      return orOriginal(err);
    }

    const row: MessageRow = {
      convId: conv.id,
      seq: 0,
      id: this.d.ids.next(),
      senderId: caller.userId,
      clientMsgId: input.clientMsgId,
      type: TYPE_OF[input.content.body.case ?? 'text'] ?? pb.MessageType.TEXT,
      content: encodeContent(input.content),
      replyToSeq: input.replyToSeq,
      mentions: input.mentionUserIds,
      mentionAll: input.mentionAll,
      createdAt: now,
      recalledAt: null,
    };
    try {
      ensureTimeLeft();
      // Group commit: stored with the sends that arrive meanwhile, in one transaction that
      // also gives it its seq; resolves after the commit (the writer skips sends whose
      // caller stopped waiting before their transaction began).
      await this.d.writer.store(row);
    } catch (err) {
      // A retry of a stored message (or two racing retries): return the original.
      if (isUniqueViolation(err)) return orOriginal(err);
      throw err;
    }
    // The parsed content is the one just stored, unless decoding kept fields this server does
    // not know (they are not in the stored JSON, so the view must not have them either).
    const c = input.content;
    const reuse = !c.$unknown?.length && c.body.case === 'text' && !c.body.value.$unknown?.length;
    const message = messageView(row, reuse ? c : undefined);
    this.d.logger.debug(
      { conversation_id: conv.id, seq: row.seq, msg_id: row.id, user_id: caller.userId },
      'message stored',
    );
    const members = await fanOut(
      this.d,
      conv.id,
      pushFrame({ case: 'message', value: message }),
      caller.sessionId,
      (n) => this.d.onSent?.(row, n),
      directMembers,
    );
    if (me.readSeq < row.seq - 1 && !hidesReceipts) {
      // Replying reads everything before the reply: tell those senders, as a read would.
      const after = { ...me, readSeq: row.seq, deliveredSeq: row.seq };
      await pushReceipt(this.d, conv, caller.userId, me.readSeq, after, true, members, false).catch(
        (err: unknown) => this.d.logger.warn({ err, conversation_id: conv.id }, 'receipt push failed'),
      );
    }
    return { message, duplicate: false, row };
  }

  /** The files of a media message checked and attached by media; returns the content to store. */
  private async attach(
    caller: Caller,
    conv: ConversationRow,
    input: SendInput,
    media: MediaAttachment,
  ): Promise<pb.MessageContent> {
    if (!this.d.attachMedia)
      throw new AppError(ErrorCode.UNSUPPORTED_MESSAGE_TYPE, 'media messages are not available');
    const from = input.forwardedFrom;
    const source = from && (await seenMessage(this.d.store, caller.userId, from.convId, from.seq));
    if (from && !source) throw errors.permissionDenied('you can forward only messages you can see');
    // A pack's sticker is sent with the pack's hold (media checks the pack holds the file).
    const body = input.content.body;
    const pack = !source && body.case === 'sticker' && body.value.packId;
    const via = source
      ? { conversationId: source.convId, senderId: source.senderId, clientMsgId: source.clientMsgId }
      : pack
        ? packVia(pack)
        : undefined;
    const files = await this.d.attachMedia({
      senderId: caller.userId,
      conversationId: conv.id,
      clientMsgId: input.clientMsgId,
      ...media,
      ...(via && { via }),
    });
    return canonicalContent(input.content, files);
  }

  private duplicateOf(prior: MessageRow, input: SendInput) {
    if (prior.convId !== input.conversationId)
      throw errors.invalidArgument('clientMsgId was already used for another conversation', 'clientMsgId');
    if (!isResendOf(prior, input.content))
      throw errors.invalidArgument(
        'clientMsgId was already used for a different message; pick a new one per message',
        'clientMsgId',
      );
    return { message: messageView(prior), duplicate: true };
  }

  /** Per-user send limits: a burst per second and a sustained rate per 10 seconds. */
  private async admitSend(userId: string): Promise<void> {
    const sec = Math.floor(this.d.clock.now() / 1000);
    const win = Math.floor(sec / 10);
    // Both at once: on Redis they leave in one pipeline, one round trip per send instead of two.
    const [burst, sustained] = await Promise.all([
      this.d.kv.incr(`msg:rate:1s:${userId}:${sec}`, { ttlMs: 2000 }),
      this.d.kv.incr(`msg:rate:10s:${userId}:${win}`, { ttlMs: 11_000 }),
    ]);
    if (burst > this.d.rules.sendBurst || sustained > this.d.rules.sendRatePerSecond * 10) {
      throw errors.rateLimited(
        burst > this.d.rules.sendBurst ? 1 : 10 - (sec % 10),
        'you are sending too fast; slow down',
      );
    }
  }
}
