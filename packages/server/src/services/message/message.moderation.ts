import type { ServiceImpl } from '@connectrpc/connect';
import type { message as pb } from '@mychat/protocol';
import { errors } from '../../kernel/errors.js';
import { parseId } from '../../kernel/ids.js';
import { seenMessage } from './message.attachments.js';
import type { MessageRecall } from './message.recall.js';
import type { MessageStore } from './store/message-store.js';
import { messageView } from './message.views.js';

/**
 * MessageInternalService's methods for the operator's console: the snapshot of a reported
 * message (only one the reporter can read) and the removal of one.
 */
export function moderationRpc(
  store: MessageStore,
  recall: MessageRecall,
): Pick<ServiceImpl<typeof pb.MessageInternalService>, 'getMessageForReport' | 'moderatorRecall'> {
  return {
    async getMessageForReport(req) {
      const userId = parseId(req.userId, 'userId');
      const convId = parseId(req.conversationId, 'conversationId');
      const row = req.seq > 0 ? await seenMessage(store, userId, convId, req.seq) : undefined;
      if (!row) throw errors.notFound('no such message');
      return { message: messageView(row) };
    },
    async moderatorRecall(req) {
      if (req.seq <= 0) throw errors.invalidArgument('seq must be positive', 'seq');
      await recall.moderate(
        parseId(req.conversationId, 'conversationId'),
        req.seq,
        parseId(req.moderatorId, 'moderatorId'),
      );
      return {};
    },
  };
}
