import { create } from '@bufbuild/protobuf';
import type { ServiceImpl } from '@connectrpc/connect';
import { message as pb } from '@mychat/protocol';
import { isUniqueViolation } from '../../adapters/sql/sql.js';
import { pushFrame } from '../../contracts/push-envelope.js';
import { errors } from '../../kernel/errors.js';
import { isId, parseId } from '../../kernel/ids.js';
import { fanOut, type MessageServiceDeps } from './message.deps.js';
import type { MessageRow } from './message.tables.js';
import { encodeContent, messageView, sendBlock } from './message.views.js';

const OUTCOMES = new Set(['completed', 'cancelled', 'declined', 'no_answer', 'busy', 'dropped']);

/**
 * The calls service's two questions to the message service: who may call in a conversation
 * (the same rule as who may send there), and the call's record, stored as a message of the
 * initiator so that it syncs, counts as unread and shows in history like any other.
 */
export function callsRpc(
  d: MessageServiceDeps,
): Pick<ServiceImpl<typeof pb.MessageInternalService>, 'getCallContext' | 'writeCallRecord'> {
  return {
    async getCallContext(req) {
      const convId = parseId(req.conversationId, 'conversationId');
      const userId = parseId(req.userId, 'userId');
      const found = await d.store.membership(convId, userId);
      if (!found) return { type: 0, state: 'not_found', memberIds: [] };
      const state = sendBlock(found.conv, found.me, d.clock.now());
      const memberIds =
        state === 'ok' ? (await d.store.activeMemberIds(convId)).filter((u) => u !== userId) : [];
      return { type: found.conv.type, state, memberIds };
    },

    async writeCallRecord(req) {
      const convId = parseId(req.conversationId, 'conversationId');
      const senderId = parseId(req.senderId, 'senderId');
      const r = req.record;
      if (!r || !isId(r.callId)) throw errors.invalidArgument('record.callId is required', 'record');
      if (r.media !== 'voice' && r.media !== 'video')
        throw errors.invalidArgument('record.media is voice or video', 'record.media');
      if (!OUTCOMES.has(r.outcome))
        throw errors.invalidArgument('record.outcome is not known', 'record.outcome');
      const clientMsgId = `call:${r.callId}`;
      const prior = await d.store.messageByClientId(senderId, clientMsgId);
      if (prior) return { message: messageView(prior) };
      const found = await d.store.membership(convId, senderId);
      if (!found) throw errors.notFound('no such conversation');
      const now = d.clock.now();
      const row: MessageRow = {
        convId,
        seq: 0,
        id: d.ids.next(),
        senderId,
        clientMsgId,
        type: pb.MessageType.CALL,
        content: encodeContent(
          create(pb.MessageContentSchema, {
            body: {
              case: 'call',
              value: {
                callId: r.callId,
                media: r.media,
                outcome: r.outcome,
                durationMs: r.durationMs < 0n ? 0n : r.durationMs,
                joinedUserIds: r.joinedUserIds.map((u) => parseId(u, 'record.joinedUserIds')),
              },
            },
          }),
        ),
        replyToSeq: 0,
        mentions: [],
        mentionAll: false,
        createdAt: now,
        recalledAt: null,
      };
      try {
        await d.store.transaction(async (tx) => {
          row.seq = await d.store.nextSeq(tx, convId, now);
          await d.store.insertMessage(tx, row);
          // The initiator saw their own call: it is not unread for them.
          await d.store.advanceCursors(tx, convId, senderId, { read: row.seq });
        });
      } catch (err) {
        const again = isUniqueViolation(err) && (await d.store.messageByClientId(senderId, clientMsgId));
        if (again) return { message: messageView(again) };
        throw err;
      }
      const message = messageView(row);
      await fanOut(d, convId, pushFrame({ case: 'message', value: message }), '');
      return { message };
    },
  };
}
