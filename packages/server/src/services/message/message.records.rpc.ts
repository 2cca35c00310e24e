import type { ServiceImpl } from '@connectrpc/connect';
import { errors } from '../../kernel/errors.js';
import { parseId as id } from '../../kernel/ids.js';
import { nulField } from '../../kernel/text-nul.js';
import { requireCaller } from '../../rpc/call-context.js';
import { message as pb } from '@mychat/protocol';
import type { MessageForwarder } from './message.forward.js';
import type { MessageRecordState } from './message.record-state.js';

const CLIENT_MSG_ID = /^[A-Za-z0-9._:-]{1,64}$/;

/** The records part of MessageService: merge-forward, delete for me, clear history, drafts. */
export function recordsRpc(
  forwarder: MessageForwarder,
  state: MessageRecordState,
): Pick<
  ServiceImpl<typeof pb.MessageService>,
  'forwardMessages' | 'hideMessages' | 'clearHistory' | 'setDraft'
> {
  return {
    async forwardMessages(req, ctx) {
      const caller = requireCaller(ctx);
      if (!CLIENT_MSG_ID.test(req.clientMsgId))
        throw errors.invalidArgument('clientMsgId must be 1-64 letters, digits or . _ : -', 'clientMsgId');
      const nul = nulField(pb.ForwardMessagesRequestSchema, req);
      if (nul !== undefined) throw errors.invalidArgument(`${nul} contains a NUL character`, nul);
      return forwarder.forward(caller, {
        conversationId: id(req.conversationId, 'conversationId'),
        clientMsgId: req.clientMsgId,
        sourceConversationId: id(req.sourceConversationId, 'sourceConversationId'),
        seqs: req.seqs,
        title: req.title,
      });
    },
    async hideMessages(req, ctx) {
      const conversation = await state.hide(
        requireCaller(ctx),
        id(req.conversationId, 'conversationId'),
        req.seqs,
      );
      return { conversation };
    },
    async clearHistory(req, ctx) {
      return {
        conversation: await state.clear(requireCaller(ctx), id(req.conversationId, 'conversationId')),
      };
    },
    async setDraft(req, ctx) {
      const nul = nulField(pb.SetDraftRequestSchema, req);
      if (nul !== undefined) throw errors.invalidArgument(`${nul} contains a NUL character`, nul);
      const conversation = await state.setDraft(
        requireCaller(ctx),
        id(req.conversationId, 'conversationId'),
        req.text,
        req.updatedAtMs,
      );
      return { conversation };
    },
  };
}
