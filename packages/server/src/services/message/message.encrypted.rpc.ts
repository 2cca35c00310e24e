import type { ServiceImpl } from '@connectrpc/connect';
import type { message as pb } from '@mychat/protocol';
import { parseId } from '../../kernel/ids.js';
import { requireCaller } from '../../rpc/call-context.js';
import type { MessageConversations } from './message.conversations.js';
import type { ConversationAdmin } from './message.membership.js';

/** MessageService.OpenEncryptedChat. */
export function encryptedChatRpc(
  admin: ConversationAdmin,
  conversations: MessageConversations,
): Pick<ServiceImpl<typeof pb.MessageService>, 'openEncryptedChat'> {
  return {
    async openEncryptedChat(req, ctx) {
      const caller = requireCaller(ctx);
      const convId = await admin.ensureEncrypted(caller.userId, parseId(req.peerId, 'peerId'));
      return { conversation: await conversations.conversation(caller, convId) };
    },
  };
}
