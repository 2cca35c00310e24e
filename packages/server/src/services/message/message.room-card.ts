import { create } from '@bufbuild/protobuf';
import type { ServiceImpl } from '@connectrpc/connect';
import { message as pb } from '@mychat/protocol';
import { errors } from '../../kernel/errors.js';
import { parseId as id } from '../../kernel/ids.js';
import type { MessageSender } from './message.send.js';

const CLIENT_MSG_ID = /^[A-Za-z0-9._:-]{1,64}$/;

/**
 * PostRoomCard, for the rooms service: a room card stored as if `user_id` had sent it, through
 * the same path as SendMessage (membership, blocks, mutes, rate limits, idempotency). Clients
 * cannot send this type themselves (parseSend refuses it).
 */
export function roomCardRpc(
  sender: MessageSender,
): Pick<ServiceImpl<typeof pb.MessageInternalService>, 'postRoomCard'> {
  return {
    async postRoomCard(req) {
      const userId = id(req.userId, 'userId');
      const conversationId = id(req.conversationId, 'conversationId');
      if (!CLIENT_MSG_ID.test(req.clientMsgId))
        throw errors.invalidArgument('clientMsgId must be 1-64 letters, digits or . _ : -', 'clientMsgId');
      const roomId = id(req.card?.roomId, 'card.roomId');
      const title = req.card?.title ?? '';
      if (title.length > 60) throw errors.tooLong('card.title', 60);
      const content = create(pb.MessageContentSchema, {
        body: { case: 'room', value: { roomId, title } },
      });
      const r = await sender.send(
        { userId, sessionId: '', clientType: '', deviceId: '' },
        {
          conversationId,
          clientMsgId: req.clientMsgId,
          content,
          replyToSeq: 0,
          mentionUserIds: [],
          mentionAll: false,
        },
      );
      return { message: r.message };
    },
  };
}
