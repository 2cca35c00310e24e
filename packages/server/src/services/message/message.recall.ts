import { create } from '@bufbuild/protobuf';
import { message as pb } from '@mychat/protocol';
import { isUniqueViolation } from '../../adapters/sql/sql.js';
import { pushFrame } from '../../contracts/push-envelope.js';
import { formatDuration } from '../../kernel/durations.js';
import { AppError, ErrorCode, errors } from '../../kernel/errors.js';
import type { Caller } from '../../rpc/call-context.js';
import { blockError, fanOut, membershipOf, type MessageServiceDeps } from './message.deps.js';
import { CONV_GROUP, ROLE_ADMIN, type MessageRow } from './message.tables.js';
import { encodeContent, messageView } from './message.views.js';
import { MessageOpsStore } from './store/ops-store.js';
import { recallPreviewEvent } from './link-preview/link-preview.event.js';

/**
 * Recalling a message: its content goes, its place stays, and a RECALL event message tells
 * the members. Part of the public MessageService.
 */
export class MessageRecall {
  constructor(private readonly d: MessageServiceDeps) {}

  async recall(caller: Caller, convId: string, seq: number): Promise<pb.Message> {
    const { store } = this.d;
    const { conv, me } = await membershipOf(store, convId, caller.userId);
    if (me.leftSeq !== null) throw blockError('left');
    const target = seq >= me.firstSeq ? await store.message(convId, seq) : undefined;
    // Events (recall, system, reaction, edit, pin: types from 20 on) are not taken back.
    if (!target || target.type >= pb.MessageType.RECALL) throw errors.notFound('no such message');
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
    return this.write(convId, seq, target, caller.userId, caller.sessionId, true);
  }

  /**
   * An operator's removal (the console's reports queue): recalls any message, member or not,
   * at any age. Nothing happens (undefined) when it is already recalled or is an event.
   */
  async moderate(convId: string, seq: number, moderatorId: string): Promise<pb.Message | undefined> {
    const target = await this.d.store.message(convId, seq);
    if (!target) throw errors.notFound('no such message');
    if (
      target.recalledAt !== null ||
      target.type === pb.MessageType.RECALL ||
      target.type === pb.MessageType.SYSTEM
    )
      return undefined;
    return this.write(convId, seq, target, moderatorId, '', false);
  }

  /** The RECALL event and the mark, in one transaction; then the members are told. */
  private async write(
    convId: string,
    seq: number,
    target: MessageRow,
    byUserId: string,
    sessionId: string,
    member: boolean,
  ): Promise<pb.Message> {
    const { store } = this.d;
    const now = this.d.clock.now();
    const event: MessageRow = {
      convId,
      seq: 0,
      id: this.d.ids.next(),
      senderId: byUserId,
      clientMsgId: `recall:${target.id}`,
      type: pb.MessageType.RECALL,
      content: encodeContent(
        create(pb.MessageContentSchema, {
          body: { case: 'recall', value: { seq, byUserId } },
        }),
      ),
      replyToSeq: 0,
      mentions: [],
      mentionAll: false,
      createdAt: now,
      recalledAt: null,
    };
    try {
      await store.transaction(async (tx) => {
        await store.markRecalled(tx, convId, seq, now);
        // Its edits' texts and its pin go too: nobody reads a recalled text anywhere.
        await new MessageOpsStore(store.db).recallOps(tx, convId, seq, now);
        event.seq = await store.nextSeq(tx, convId, now);
        // After the seq's row lock: a preview stored meanwhile is seen and blanked.
        await recallPreviewEvent(tx, convId, seq, now);
        await store.insertMessage(tx, event);
        if (member) await store.advanceCursors(tx, convId, byUserId, { read: event.seq });
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw errors.invalidArgument('that message was already recalled', 'seq');
      throw err;
    }
    const view = messageView(event);
    await fanOut(this.d, convId, pushFrame({ case: 'message', value: view }), sessionId);
    return view;
  }
}
