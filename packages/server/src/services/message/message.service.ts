import { create } from '@bufbuild/protobuf';
import { type gateway, type media, message as pb } from '@mychat/protocol';
import type { Logger } from 'pino';
import type { Bus } from '../../adapters/bus/bus.js';
import type { Kv } from '../../adapters/kv/kv.js';
import { isUniqueViolation } from '../../adapters/sql/sql.js';
import type { Clock } from '../../kernel/clock.js';
import { AppError, ErrorCode, errors } from '../../kernel/errors.js';
import { formatDuration } from '../../kernel/durations.js';
import { isResendOf } from './message.resend.js';
import { seenMessage } from './message.attachments.js';
import { parseId, type IdGenerator } from '../../kernel/ids.js';
import { ensureTimeLeft } from '../../kernel/request-context.js';
import type { Caller } from '../../rpc/call-context.js';
import { pushFrame, pushToUsers } from '../../contracts/push-envelope.js';
import { canonicalContent, TYPE_OF, type MediaAttachment } from './message.media.js';
import type { MessageRepository } from './message.repository.js';
import { MessageWriter } from './message.writer.js';
import {
  CONV_DIRECT,
  CONV_GROUP,
  ROLE_ADMIN,
  type ConversationRow,
  type MemberRow,
  type MessageRow,
} from './message.tables.js';
import { conversationView, encodeContent, messageView, sendBlock, visibleHead } from './message.views.js';

export interface MessageRules {
  maxTextBytes: number;
  recallWindowSeconds: number;
  sendRatePerSecond: number;
  sendBurst: number;
  /**
   * Groups up to this many members get `receipt` pushes when someone reads; larger ones
   * only answer GetReadReceipts (every read would otherwise push to most of the group).
   */
  groupReceiptPushMaxMembers?: number;
}

const GROUP_RECEIPT_PUSH_MAX_MEMBERS = 100;
/** Every refusal of a message's file is this one answer: nothing tells what exists. */

export interface MessageServiceDeps {
  repo: MessageRepository;
  bus: Bus;
  kv: Kv;
  ids: IdGenerator;
  clock: Clock;
  logger: Logger;
  rules: MessageRules;
  onSent?: (m: MessageRow, recipients: number) => void;
  /**
   * Checks the files of a media message with the media service (they exist, are ready, are
   * the sender's or forwarded from a message the sender can see) and lets the members of
   * the conversation download them. Returns the service's description of each file.
   */
  attachMedia?: (req: {
    senderId: string;
    conversationId: string;
    clientMsgId: string;
    mediaIds: string[];
    kind: number;
    /** Forwarding: the message the files come from, checked to be one the sender sees. */
    via?: { conversationId: string; senderId: string; clientMsgId: string };
  }) => Promise<media.Media[]>;
}

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
}

/**
 * Conversations and messages: the delivery contract lives here. A message gets its seq in
 * the same transaction that stores it, the sender's ack follows the commit, and push to
 * members is a best-effort hint after it; clients repair anything missed through Sync.
 */
/**
 * Stored content one history page carries at most (it always holds one message): 200 texts
 * of 8 KiB would be 1.6 MB in one answer, and a socket answers several pages at once within
 * its outbound queue cap (4 MiB). A page cut short says has_more, as one cut by `limit`.
 */
export const HISTORY_PAGE_BYTES = 256 * 1024;

/** How many of `rows` (in page order) one page holds: `limit` at most, within HISTORY_PAGE_BYTES. */
function pageLength(rows: readonly MessageRow[], limit: number): number {
  let bytes = 0;
  const n = Math.min(rows.length, limit);
  for (let i = 0; i < n; i++) {
    bytes += Buffer.byteLength(rows[i]!.content);
    if (bytes > HISTORY_PAGE_BYTES && i > 0) return i;
  }
  return n;
}

export class MessageService {
  private readonly writer: MessageWriter;
  /** Sends being worked on, by sender and client id: a retry meanwhile joins the first. */
  private readonly sending = new Map<string, Promise<{ stored: MessageRow }>>();

  constructor(private readonly d: MessageServiceDeps) {
    this.writer = new MessageWriter(d.repo);
  }

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
    const { repo } = this.d;
    // A retry of a stored message is recognised by the unique (sender, client_msg_id) index
    // at insert time, not by a lookup first: the common case, a new message, costs one query
    // less. A retry refused for any reason gets its original back instead of the refusal.
    const orOriginal = async (refusal: unknown) => {
      const prior = await repo.messageByClientId(caller.userId, input.clientMsgId);
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
      const found = await repo.sendContext(input.conversationId, caller.userId);
      if (!found) throw new AppError(ErrorCode.NOT_FOUND, 'no such conversation');
      ({ conv, me, directMembers, hidesReceipts } = found);
      const block = sendBlock(conv, me, now);
      if (block !== 'ok') throw this.blockError(block);
      if (input.mentionAll && (conv.type !== CONV_GROUP || me.role < ROLE_ADMIN)) {
        throw errors.permissionDenied('only group owners and admins may mention everyone');
      }
      if (input.replyToSeq && (input.replyToSeq < me.firstSeq || input.replyToSeq > conv.lastSeq)) {
        throw errors.invalidArgument('replyToSeq is not a message you can see', 'replyToSeq');
      }
      await this.admitSend(caller.userId);
      if (input.media) {
        if (!this.d.attachMedia)
          throw new AppError(ErrorCode.UNSUPPORTED_MESSAGE_TYPE, 'media messages are not available');
        const from = input.forwardedFrom;
        const source = from && (await seenMessage(this.d.repo, caller.userId, from.convId, from.seq));
        if (from && !source) throw errors.permissionDenied('you can forward only messages you can see');
        const files = await this.d.attachMedia({
          senderId: caller.userId,
          conversationId: conv.id,
          clientMsgId: input.clientMsgId,
          ...input.media,
          ...(source && {
            via: {
              conversationId: source.convId,
              senderId: source.senderId,
              clientMsgId: source.clientMsgId,
            },
          }),
        });
        input = { ...input, content: canonicalContent(input.content, files) };
      }
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
      await this.writer.store(row);
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
    const members = await this.fanOut(
      conv.id,
      pushFrame({ case: 'message', value: message }),
      caller.sessionId,
      (n) => this.d.onSent?.(row, n),
      directMembers,
    );
    if (me.readSeq < row.seq - 1 && !hidesReceipts) {
      // Replying reads everything before the reply: tell those senders, as a read would.
      const after = { ...me, readSeq: row.seq, deliveredSeq: row.seq };
      await this.pushReceipt(conv, caller.userId, me.readSeq, after, true, members, false).catch(
        (err: unknown) => this.d.logger.warn({ err, conversation_id: conv.id }, 'receipt push failed'),
      );
    }
    return { message, duplicate: false, row };
  }

  async history(caller: Caller, convId: string, o: { beforeSeq: number; afterSeq?: number; limit: number }) {
    const { conv, me } = await this.membership(convId, caller.userId);
    const head = visibleHead(conv, me);
    const limit = Math.min(Math.max(o.limit || 50, 1), 200);
    const forward = o.afterSeq !== undefined;
    const rows = forward
      ? await this.d.repo.range(conv.id, { after: o.afterSeq, min: me.firstSeq, max: head, limit: limit + 1 })
      : await this.d.repo.range(conv.id, {
          before: o.beforeSeq || head + 1,
          min: me.firstSeq,
          max: head,
          limit: limit + 1,
        });
    const page = rows.slice(0, pageLength(rows, limit));
    const hasMore = rows.length > page.length;
    if (!forward) page.reverse();
    return { messages: page.map((r) => messageView(r)), hasMore };
  }

  async sync(caller: Caller, sincePts: number) {
    const { repo } = this.d;
    const pts = await repo.stampMovedHeads(caller.userId);
    const changed = await repo.membershipsOf(caller.userId, sincePts > 0 ? sincePts : undefined);
    const conversations = await this.views(caller.userId, changed);
    const heads = (await repo.heads(caller.userId)).map((h) =>
      create(pb.ConversationHeadSchema, { conversationId: h.convId, lastSeq: h.lastSeq }),
    );
    return { pts, conversations, heads };
  }

  async conversation(caller: Caller, convId: string): Promise<pb.Conversation> {
    const { me } = await this.membership(convId, caller.userId);
    return (await this.views(caller.userId, [me]))[0]!;
  }

  /**
   * Moves the caller's delivered cursor (clients send this for everything they received, so
   * it is as frequent as messages): one query for the member, its conversation, the 1:1
   * peer and the receipt setting, and the cursor written with the next group commit.
   */
  async markDelivered(caller: Caller, convId: string, seq: number): Promise<void> {
    parseId(convId, 'conversationId');
    const found = await this.d.repo.sendContext(convId, caller.userId);
    if (!found) throw new AppError(ErrorCode.NOT_FOUND, 'no such conversation');
    const { conv, me, directMembers, hidesReceipts } = found;
    const upTo = Math.min(seq, visibleHead(conv, me));
    if (upTo <= me.deliveredSeq) return;
    if (!(await this.writer.advanceDelivered(convId, caller.userId, upTo))) return;
    if (conv.type === CONV_DIRECT) {
      const after = { ...me, deliveredSeq: upTo };
      await this.pushReceipt(
        conv,
        caller.userId,
        me.deliveredSeq,
        after,
        false,
        directMembers,
        hidesReceipts,
      );
    }
  }

  async markRead(caller: Caller, convId: string, seq: number): Promise<number> {
    const { repo } = this.d;
    const { conv, me } = await this.membership(convId, caller.userId);
    const head = visibleHead(conv, me);
    const upTo = Math.min(seq, head);
    if (upTo > me.readSeq && (await repo.advanceCursors(repo.db, convId, caller.userId, { read: upTo }))) {
      const pts = await repo.transaction((tx) => repo.bumpPts(tx, convId, [caller.userId]));
      const after = {
        ...me,
        readSeq: upTo,
        deliveredSeq: Math.max(me.deliveredSeq, upTo),
        pts: pts.get(caller.userId) ?? me.pts,
      };
      // The reader's other devices clear their unread badge.
      const view = (await this.views(caller.userId, [after]))[0]!;
      await pushToUsers(
        this.d.bus,
        [caller.userId],
        pushFrame({ case: 'conversation', value: { conversation: view, pts: after.pts } }),
        caller.sessionId,
      );
      await this.pushReceipt(conv, caller.userId, me.readSeq, after, true);
      return Math.max(0, head - upTo);
    }
    return Math.max(0, head - Math.max(me.readSeq, me.firstSeq - 1));
  }

  async recall(caller: Caller, convId: string, seq: number): Promise<pb.Message> {
    const { repo } = this.d;
    const { conv, me } = await this.membership(convId, caller.userId);
    if (me.leftSeq !== null) throw this.blockError('left');
    const target = seq >= me.firstSeq ? await repo.message(convId, seq) : undefined;
    if (!target || target.type === pb.MessageType.RECALL || target.type === pb.MessageType.SYSTEM)
      throw errors.notFound('no such message');
    const now = this.d.clock.now();
    const moderator = conv.type === CONV_GROUP && me.role >= ROLE_ADMIN;
    if (!moderator) {
      if (target.senderId !== caller.userId)
        throw errors.permissionDenied('you can recall only your own messages');
      if (now - target.createdAt > this.d.rules.recallWindowSeconds * 1000) {
        throw new AppError(
          ErrorCode.RECALL_WINDOW_PASSED,
          `messages can be recalled within ${formatDuration(this.d.rules.recallWindowSeconds)}`,
        );
      }
    }
    if (target.recalledAt !== null) throw errors.invalidArgument('that message was already recalled', 'seq');
    const event: MessageRow = {
      convId,
      seq: 0,
      id: this.d.ids.next(),
      senderId: caller.userId,
      clientMsgId: `recall:${target.id}`,
      type: pb.MessageType.RECALL,
      content: encodeContent(
        create(pb.MessageContentSchema, {
          body: { case: 'recall', value: { seq, byUserId: caller.userId } },
        }),
      ),
      replyToSeq: 0,
      mentions: [],
      mentionAll: false,
      createdAt: now,
      recalledAt: null,
    };
    try {
      await repo.transaction(async (tx) => {
        await repo.markRecalled(tx, convId, seq, now);
        event.seq = await repo.nextSeq(tx, convId, now);
        await repo.insertMessage(tx, event);
        await repo.advanceCursors(tx, convId, caller.userId, { read: event.seq });
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw errors.invalidArgument('that message was already recalled', 'seq');
      throw err;
    }
    const view = messageView(event);
    await this.fanOut(convId, pushFrame({ case: 'message', value: view }), caller.sessionId);
    return view;
  }

  async readReceipts(caller: Caller, convId: string, seq: number) {
    const { repo } = this.d;
    const { me } = await this.membership(convId, caller.userId);
    const target = seq >= me.firstSeq ? await repo.message(convId, seq) : undefined;
    if (!target) throw errors.notFound('no such message');
    const others = (await repo.members(convId)).filter(
      (m) => m.userId !== target.senderId && m.firstSeq <= seq && (m.leftSeq === null || m.leftSeq >= seq),
    );
    const hiding = await repo.hidingReceipts(others.map((m) => m.userId));
    const readers = others.filter((m) => m.readSeq >= seq && !hiding.has(m.userId));
    return {
      readCount: readers.length,
      deliveredCount: others.filter((m) => m.deliveredSeq >= seq).length,
      memberCount: others.length,
      readerIds: readers.map((m) => m.userId),
    };
  }

  async updateSettings(
    caller: Caller,
    convId: string,
    s: { muted?: boolean; pinned?: boolean },
  ): Promise<pb.Conversation> {
    const { repo } = this.d;
    await this.membership(convId, caller.userId);
    await repo.transaction(async (tx) => {
      await repo.updateMember(tx, convId, caller.userId, {
        ...(s.muted !== undefined && { muted: s.muted ? 1 : 0 }),
        ...(s.pinned !== undefined && { pinned: s.pinned ? 1 : 0 }),
      });
      await repo.bumpPts(tx, convId, [caller.userId]);
    });
    const view = await this.conversation(caller, convId);
    await pushToUsers(
      this.d.bus,
      [caller.userId],
      pushFrame({ case: 'conversation', value: { conversation: view, pts: view.pts } }),
      caller.sessionId,
    );
    return view;
  }

  getPrivacy(caller: Caller) {
    return this.d.repo.userState(caller.userId).then((s) => ({ hideReadReceipts: s.hideReadReceipts }));
  }

  setPrivacy(caller: Caller, hideReadReceipts: boolean) {
    return this.d.repo.setHideReadReceipts(caller.userId, hideReadReceipts);
  }

  async typing(caller: Caller, convId: string): Promise<void> {
    const { conv, me } = await this.membership(convId, caller.userId);
    if (sendBlock(conv, me, this.d.clock.now()) !== 'ok') return;
    // At most one typing hint per person and conversation per second; extras are dropped.
    if (!(await this.d.kv.set(`msg:typing:${convId}:${caller.userId}`, '1', { ttlMs: 1000, ifAbsent: true })))
      return;
    const others = (await this.d.repo.activeMemberIds(convId)).filter((u) => u !== caller.userId);
    await pushToUsers(
      this.d.bus,
      others,
      pushFrame({ case: 'typing', value: { conversationId: convId, userId: caller.userId } }),
    );
  }

  /** Views of conversations for one user, with last messages and peers, in few queries. */
  async views(userId: string, mine: MemberRow[]): Promise<pb.Conversation[]> {
    const { repo } = this.d;
    if (!mine.length) return [];
    const convs = new Map((await repo.conversations(mine.map((m) => m.convId))).map((c) => [c.id, c]));
    const lasts = await repo.lastMessages(
      mine.map((m) => ({
        id: m.convId,
        seq: convs.get(m.convId) ? visibleHead(convs.get(m.convId)!, m) : 0,
      })),
    );
    const now = this.d.clock.now();
    const ids = [...convs.keys()];
    const counts = await repo.memberCounts(ids);
    const peers = await repo.peers(
      ids.filter((id) => convs.get(id)!.type === CONV_DIRECT),
      userId,
    );
    const hiding = await repo.hidingReceipts([...peers.values()].map((p) => p.userId));
    const out: pb.Conversation[] = [];
    for (const me of mine) {
      const conv = convs.get(me.convId);
      if (!conv) continue;
      const peer = peers.get(conv.id);
      out.push(
        conversationView({
          conv,
          me,
          now,
          lastMessage: lasts.get(conv.id),
          peer,
          peerHidesReads: peer ? hiding.has(peer.userId) : false,
          memberCount: counts.get(conv.id) ?? 0,
        }),
      );
    }
    return out;
  }

  /** The conversation and the caller's member row; NOT_FOUND for strangers (no existence leak). */
  private async membership(
    convId: string,
    userId: string,
  ): Promise<{ conv: ConversationRow; me: MemberRow }> {
    parseId(convId, 'conversationId');
    const found = await this.d.repo.membership(convId, userId);
    if (!found) throw new AppError(ErrorCode.NOT_FOUND, 'no such conversation');
    return found;
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

  private blockError(block: ReturnType<typeof sendBlock>): AppError {
    switch (block) {
      case 'blocked':
        return new AppError(ErrorCode.BLOCKED, 'you cannot message this person');
      case 'not_friends':
        return new AppError(ErrorCode.NOT_FRIENDS, 'you can message only your friends');
      case 'muted':
        return new AppError(ErrorCode.MUTED, 'you are muted in this group');
      default:
        return new AppError(ErrorCode.NOT_A_MEMBER, 'you are no longer a member of this group');
    }
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

  private async fanOut(
    convId: string,
    f: gateway.ServerFrame,
    exceptSession: string,
    counted?: (n: number) => void,
    known?: string[],
  ): Promise<string[] | undefined> {
    try {
      const members = known ?? (await this.d.repo.activeMemberIds(convId));
      await pushToUsers(this.d.bus, members, f, exceptSession);
      counted?.(members.length);
      return members;
    } catch (err) {
      // Push is a hint: the message is stored and acknowledged; clients repair through sync.
      this.d.logger.warn({ err, conversation_id: convId }, 'push failed');
      return undefined;
    }
  }

  /** Tells senders whose messages a cursor move covers (1:1: the peer) where it is now. */
  private async pushReceipt(
    conv: ConversationRow,
    userId: string,
    fromSeq: number,
    after: MemberRow,
    isRead: boolean,
    knownMembers?: string[],
    knownHides?: boolean,
  ) {
    if (isRead && (knownHides ?? (await this.d.repo.userState(userId)).hideReadReceipts)) return;
    if (conv.type !== CONV_DIRECT) {
      const max = this.d.rules.groupReceiptPushMaxMembers ?? GROUP_RECEIPT_PUSH_MAX_MEMBERS;
      const size = knownMembers?.length ?? (await this.d.repo.memberCounts([conv.id])).get(conv.id) ?? 0;
      if (size > max) return;
    }
    const audience =
      conv.type === CONV_DIRECT
        ? (knownMembers ?? (await this.d.repo.activeMemberIds(conv.id))).filter((u) => u !== userId)
        : await this.d.repo.sendersBetween(
            conv.id,
            fromSeq,
            isRead ? after.readSeq : after.deliveredSeq,
            userId,
          );
    if (!audience.length) return;
    const hidden = isRead ? false : (knownHides ?? (await this.d.repo.userState(userId)).hideReadReceipts);
    await pushToUsers(
      this.d.bus,
      audience,
      pushFrame({
        case: 'receipt',
        value: {
          conversationId: conv.id,
          userId,
          deliveredSeq: after.deliveredSeq,
          readSeq: hidden ? 0 : after.readSeq,
        },
      }),
    );
  }
}
