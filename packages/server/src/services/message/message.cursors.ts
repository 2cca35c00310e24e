import { pushFrame, pushToUsers } from '../../contracts/push-envelope.js';
import { AppError, ErrorCode, errors } from '../../kernel/errors.js';
import { parseId } from '../../kernel/ids.js';
import type { Caller } from '../../rpc/call-context.js';
import { conversationViews } from './message.conversations.js';
import { membershipOf, type MessageServiceDeps } from './message.deps.js';
import { CONV_DIRECT, type ConversationRow, type MemberRow } from './message.tables.js';
import { visibleHead } from './message.views.js';
import { MessageOpsStore } from './store/ops-store.js';

const GROUP_RECEIPT_PUSH_MAX_MEMBERS = 100;

/** Read and delivered cursors, and the receipts they make: part of the public MessageService. */
export class MessageCursors {
  constructor(private readonly d: MessageServiceDeps) {}

  /**
   * Moves the caller's delivered cursor (clients send this for everything they received, so
   * it is as frequent as messages): one query for the member, its conversation, the 1:1
   * peer and the receipt setting, and the cursor written with the next group commit.
   */
  async markDelivered(caller: Caller, convId: string, seq: number): Promise<void> {
    parseId(convId, 'conversationId');
    const found = await this.d.store.sendContext(convId, caller.userId);
    if (!found) throw new AppError(ErrorCode.NOT_FOUND, 'no such conversation');
    const { conv, me, directMembers, hidesReceipts } = found;
    const upTo = Math.min(seq, visibleHead(conv, me));
    if (upTo <= me.deliveredSeq) return;
    if (!(await this.d.writer.advanceDelivered(convId, caller.userId, upTo))) return;
    if (conv.type === CONV_DIRECT) {
      const after = { ...me, deliveredSeq: upTo };
      await pushReceipt(
        this.d,
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
    const { store } = this.d;
    const { conv, me } = await membershipOf(store, convId, caller.userId);
    const head = visibleHead(conv, me);
    const upTo = Math.min(seq, head);
    if (upTo > me.readSeq && (await store.advanceCursors(store.db, convId, caller.userId, { read: upTo }))) {
      const pts = await store.transaction((tx) => store.bumpPts(tx, convId, [caller.userId]));
      const after = {
        ...me,
        readSeq: upTo,
        deliveredSeq: Math.max(me.deliveredSeq, upTo),
        pts: pts.get(caller.userId) ?? me.pts,
      };
      // The reader's other devices clear their unread badge.
      const view = (await conversationViews(this.d, caller.userId, [after]))[0]!;
      await pushToUsers(
        this.d.bus,
        [caller.userId],
        pushFrame({ case: 'conversation', value: { conversation: view, pts: after.pts } }),
        caller.sessionId,
      );
      await pushReceipt(this.d, conv, caller.userId, me.readSeq, after, true);
      return view.unreadCount;
    }
    const after = Math.max(me.readSeq, me.firstSeq - 1);
    if (head <= after) return 0;
    const silent = await new MessageOpsStore(store.db).silentCounts([{ convId, after, upTo: head }]);
    return Math.max(0, head - after - (silent.get(convId) ?? 0));
  }

  async readReceipts(caller: Caller, convId: string, seq: number) {
    const { store } = this.d;
    const { me } = await membershipOf(store, convId, caller.userId);
    const target = seq >= me.firstSeq ? await store.message(convId, seq) : undefined;
    if (!target) throw errors.notFound('no such message');
    const others = (await store.members(convId)).filter(
      (m) => m.userId !== target.senderId && m.firstSeq <= seq && (m.leftSeq === null || m.leftSeq >= seq),
    );
    const hiding = await store.hidingReceipts(others.map((m) => m.userId));
    const readers = others.filter((m) => m.readSeq >= seq && !hiding.has(m.userId));
    return {
      readCount: readers.length,
      deliveredCount: others.filter((m) => m.deliveredSeq >= seq).length,
      memberCount: others.length,
      readerIds: readers.map((m) => m.userId),
    };
  }
}

/** Tells senders whose messages a cursor move covers (1:1: the peer) where it is now. */
export async function pushReceipt(
  d: Pick<MessageServiceDeps, 'store' | 'bus' | 'rules'>,
  conv: ConversationRow,
  userId: string,
  fromSeq: number,
  after: MemberRow,
  isRead: boolean,
  knownMembers?: string[],
  knownHides?: boolean,
) {
  const { store } = d;
  if (isRead && (knownHides ?? (await store.userState(userId)).hideReadReceipts)) return;
  if (conv.type !== CONV_DIRECT) {
    const max = d.rules.groupReceiptPushMaxMembers ?? GROUP_RECEIPT_PUSH_MAX_MEMBERS;
    const size = knownMembers?.length ?? (await store.memberCounts([conv.id])).get(conv.id) ?? 0;
    if (size > max) return;
  }
  const audience =
    conv.type === CONV_DIRECT
      ? (knownMembers ?? (await store.activeMemberIds(conv.id))).filter((u) => u !== userId)
      : await store.sendersBetween(conv.id, fromSeq, isRead ? after.readSeq : after.deliveredSeq, userId);
  if (!audience.length) return;
  const hidden = isRead ? false : (knownHides ?? (await store.userState(userId)).hideReadReceipts);
  await pushToUsers(
    d.bus,
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
