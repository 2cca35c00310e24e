import { create } from '@bufbuild/protobuf';
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import { Code, ConnectError, type ServiceImpl } from '@connectrpc/connect';
import { message as pb } from '@mychat/protocol';
import type { Logger } from 'pino';
import { AppError, ErrorCode, errorInfoOf, errors, toConnectError } from '../../kernel/errors.js';
import { parseId as id } from '../../kernel/ids.js';
import { nulField } from '../../kernel/text-nul.js';
import { currentRequest, runInRequest } from '../../kernel/request-context.js';
import { callerOf, requireCaller } from '../../rpc/call-context.js';
import { MAX_DELIVERED_BATCH, MAX_SEND_BATCH } from '../../contracts/limits.js';
import type { ConversationAdmin } from './message.membership.js';
import { mediaOf } from './message.media.js';
import { checkEncrypted, READER_DEVICE_ID } from './message.encrypted.js';
import type { MessageAttachments } from './message.attachments.js';
import type { MessageConversations } from './message.conversations.js';
import type { MessageCursors } from './message.cursors.js';
import type { MessageRecall } from './message.recall.js';
import type { MessageSender, SendInput } from './message.send.js';
import { msgOpsRpc, type MessageOpsParts } from './message.ops-rpc.js';

/** The parts of the public MessageService, each a file of its own. */
export interface MessageParts extends MessageOpsParts {
  sender: MessageSender;
  recall: MessageRecall;
  cursors: MessageCursors;
  conversations: MessageConversations;
}

const CLIENT_MSG_ID = /^[A-Za-z0-9._:-]{1,64}$/;
const utf8 = new TextEncoder();

/** Checks a send request's shape; content rules that need no database live here. */
export function parseSend(req: pb.SendMessageRequest, maxTextBytes: number): SendInput {
  const conversationId = id(req.conversationId, 'conversationId');
  if (!CLIENT_MSG_ID.test(req.clientMsgId)) {
    throw errors.invalidArgument('clientMsgId must be 1-64 letters, digits or . _ : -', 'clientMsgId');
  }
  const body = req.content?.body;
  if (!body || body.case === undefined) throw errors.invalidArgument('content is required', 'content');
  // Sends over the WebSocket do not pass the RPC edge's check.
  const nul = nulField(pb.SendMessageRequestSchema, req);
  if (nul !== undefined) throw errors.invalidArgument(`${nul} contains a NUL character`, nul);
  if (req.mentionUserIds.length > 50) throw errors.invalidArgument('at most 50 mentions', 'mentionUserIds');
  const common = {
    conversationId,
    clientMsgId: req.clientMsgId,
    content: req.content!,
    replyToSeq: req.replyToSeq,
    mentionUserIds: [...new Set(req.mentionUserIds.map((u) => id(u, 'mentionUserIds')))],
    mentionAll: req.mentionAll,
    ...(req.forwardedFrom && {
      forwardedFrom: {
        convId: id(req.forwardedFrom.conversationId, 'forwardedFrom.conversationId'),
        seq: req.forwardedFrom.seq,
      },
    }),
  };
  if (body.case === 'encrypted') {
    checkEncrypted(body.value);
    const media = mediaOf(body);
    return media ? { ...common, media } : common;
  }
  if (body.case !== 'text') {
    const media = mediaOf(body);
    if (!media) {
      throw new AppError(ErrorCode.UNSUPPORTED_MESSAGE_TYPE, `${body.case} messages cannot be sent`, {
        field: 'content',
      });
    }
    return { ...common, media };
  }
  const bytes = utf8.encode(body.value.text).length;
  if (bytes > maxTextBytes) {
    throw new AppError(ErrorCode.MESSAGE_TOO_LONG, `a text message is at most ${maxTextBytes} bytes`, {
      field: 'content.text',
    });
  }
  if (body.value.text.trim() === '')
    throw errors.invalidArgument('a text message cannot be empty', 'content.text');
  return common;
}

/** MessageService over the wire: parse, call, shape. */
export function messageRpc(
  { sender, recall, cursors, conversations, ...ops }: MessageParts,
  admin: ConversationAdmin,
  attachments: MessageAttachments,
  maxTextBytes: number,
  // Merge-forward, delete for me, clear history and drafts are served beside these
  // (message.records.rpc.ts).
): Omit<
  ServiceImpl<typeof pb.MessageService>,
  'forwardMessages' | 'hideMessages' | 'clearHistory' | 'setDraft' | 'openEncryptedChat'
> {
  return {
    ...msgOpsRpc(ops, maxTextBytes),
    async sendMessage(req, ctx) {
      return sender.send(requireCaller(ctx), parseSend(req, maxTextBytes));
    },
    async getHistory(req, ctx) {
      const caller = requireCaller(ctx);
      if (req.limit < 0 || req.limit > 200) throw errors.invalidArgument('limit is 1-200', 'limit');
      if (req.e2eeDeviceId && !READER_DEVICE_ID.test(req.e2eeDeviceId))
        throw errors.invalidArgument('e2eeDeviceId is 32 lower-case hex characters', 'e2eeDeviceId');
      const kept = req.e2eeKept;
      if (kept && !(kept.fromSeq >= 1 && kept.toSeq >= kept.fromSeq))
        throw errors.invalidArgument('e2eeKept is fromSeq 1 or more to toSeq at least fromSeq', 'e2eeKept');
      return conversations.history(caller, id(req.conversationId, 'conversationId'), {
        beforeSeq: req.beforeSeq,
        afterSeq: req.afterSeq,
        limit: req.limit,
        ...(req.e2eeDeviceId && { wrapsFor: req.e2eeDeviceId }),
        ...(kept && { kept: { fromSeq: kept.fromSeq, toSeq: kept.toSeq } }),
      });
    },
    async sync(req, ctx) {
      return conversations.sync(requireCaller(ctx), req.sincePts);
    },
    async getConversation(req, ctx) {
      return {
        conversation: await conversations.conversation(
          requireCaller(ctx),
          id(req.conversationId, 'conversationId'),
        ),
      };
    },
    async markDelivered(req, ctx) {
      await cursors.markDelivered(requireCaller(ctx), id(req.conversationId, 'conversationId'), req.seq);
      return {};
    },
    async markRead(req, ctx) {
      return {
        unreadCount: await cursors.markRead(
          requireCaller(ctx),
          id(req.conversationId, 'conversationId'),
          req.seq,
        ),
      };
    },
    async recallMessage(req, ctx) {
      return {
        message: await recall.recall(requireCaller(ctx), id(req.conversationId, 'conversationId'), req.seq),
      };
    },
    async getReadReceipts(req, ctx) {
      return cursors.readReceipts(requireCaller(ctx), id(req.conversationId, 'conversationId'), req.seq);
    },
    async updateConversationSettings(req, ctx) {
      const conversation = await conversations.updateSettings(
        requireCaller(ctx),
        id(req.conversationId, 'conversationId'),
        {
          ...(req.muted !== undefined && { muted: req.muted }),
          ...(req.pinned !== undefined && { pinned: req.pinned }),
        },
      );
      return { conversation };
    },
    async getPrivacy(_req, ctx) {
      return conversations.getPrivacy(requireCaller(ctx));
    },
    async setPrivacy(req, ctx) {
      await conversations.setPrivacy(requireCaller(ctx), req.hideReadReceipts);
      return {};
    },
    async getFileTransferConversation(_req, ctx) {
      const caller = requireCaller(ctx);
      return {
        conversation: await conversations.conversation(caller, await admin.ensureSelf(caller.userId)),
      };
    },
    async getAttachmentUrl(req, ctx) {
      const r = await attachments.attachmentUrl(requireCaller(ctx), {
        convId: id(req.conversationId, 'conversationId'),
        seq: req.seq,
        mediaId: id(req.mediaId, 'mediaId'),
        variant: req.variant,
        download: req.download,
      });
      return { url: r.url, expiresAt: timestampFromMs(r.expiresAtMs) };
    },
    async saveAttachment(req, ctx) {
      const entry = await attachments.saveAttachment(requireCaller(ctx), {
        convId: id(req.conversationId, 'conversationId'),
        seq: req.seq,
        mediaId: id(req.mediaId, 'mediaId'),
        folderId:
          req.folderId === '' || req.folderId === 'root' ? req.folderId : id(req.folderId, 'folderId'),
        name: req.name,
      });
      return { entry };
    },
    async sendTyping(req, ctx) {
      await conversations.typing(requireCaller(ctx), id(req.conversationId, 'conversationId'));
      return {};
    },
  };
}

/** MessageInternalService: membership changes from the contacts service, visibility for media. */
export function messageInternalRpc(
  admin: ConversationAdmin,
  { sender, cursors }: Pick<MessageParts, 'sender' | 'cursors'>,
  attachments: MessageAttachments,
  maxTextBytes: number,
  log: Logger,
  // The push context, the search feed and the calls' questions are served beside these
  // (message.push-context.ts, message.index-feed.ts, message.calls.ts).
): Omit<
  ServiceImpl<typeof pb.MessageInternalService>,
  | 'getPushContext'
  | 'listMessagesForIndex'
  | 'listReadableWindows'
  | 'postRoomCard'
  | 'getCallContext'
  | 'writeCallRecord'
  | 'getMessageForReport'
  | 'moderatorRecall'
  | 'purgeUserMessages'
> {
  return {
    async sendMessageBatch(req) {
      if (req.sends.length > MAX_SEND_BATCH)
        throw errors.invalidArgument(`at most ${MAX_SEND_BATCH} sends per call`, 'sends');
      // Each send in its own request context (its request id in log lines, the call's
      // deadline), started in order so the group commit sees them in the order given.
      const deadline = currentRequest()?.deadline;
      const results = await Promise.all(
        req.sends.map((s) =>
          runInRequest({ requestId: s.requestId, deadline }, async () => {
            const started = performance.now();
            let result: pb.BatchedSendResult;
            try {
              const caller = callerOf(s);
              if (!caller) throw errors.unauthenticated();
              id(caller.userId, 'userId');
              const input = parseSend(s.request ?? create(pb.SendMessageRequestSchema), maxTextBytes);
              const ack = await sender.send(caller, input);
              result = create(pb.BatchedSendResultSchema, { result: { case: 'ack', value: ack } });
            } catch (err) {
              if (!(err instanceof AppError) && !(err instanceof ConnectError))
                log.error({ err, rpc: 'SendMessageBatch' }, 'unexpected error in a batched send');
              result = batchedError(err);
            }
            // As the RPC hub logs a call: this send's own line, under its own request id.
            if (log.isLevelEnabled('debug')) {
              const code = result.result.case === 'error' ? Code[result.result.value.status as Code] : 'ok';
              log.debug({ rpc: 'SendMessageBatch', code, ms: performance.now() - started }, 'rpc handled');
            }
            return result;
          }),
        ),
      );
      return { results };
    },
    async canSeeMessage(req) {
      id(req.userId, 'userId');
      id(req.senderId, 'senderId');
      return {
        visible: await attachments.canSee(
          req.userId,
          id(req.conversationId, 'conversationId'),
          req.senderId,
          req.clientMsgId,
        ),
      };
    },
    async applyDirect(req) {
      id(req.userA, 'userA');
      id(req.userB, 'userB');
      if (req.userA === req.userB)
        throw errors.invalidArgument('a 1:1 conversation needs two people', 'userB');
      return { conversationId: await admin.applyDirect(req) };
    },
    async applyGroup(req) {
      id(req.conversationId, 'conversationId');
      for (const m of req.members) id(m.userId, 'members.userId');
      await admin.applyGroup(req);
      return {};
    },
    async markDeliveredBatch(req) {
      if (req.cursors.length > MAX_DELIVERED_BATCH)
        throw errors.invalidArgument(`at most ${MAX_DELIVERED_BATCH} cursors per call`, 'cursors');
      let refused = 0;
      await Promise.all(
        req.cursors.map(async (c) => {
          try {
            const caller = { userId: id(c.userId, 'userId'), sessionId: '', clientType: '', deviceId: '' };
            await cursors.markDelivered(caller, c.conversationId, c.seq);
          } catch {
            refused++; // the frame that carried it gets no answer either way
          }
        }),
      );
      return { refused };
    },
  };
}

/** A send's error as SendMessage would have ended with it (the gateway turns it back into one). */
function batchedError(err: unknown): pb.BatchedSendResult {
  const ce = toConnectError(err);
  return create(pb.BatchedSendResultSchema, {
    result: {
      case: 'error',
      value: create(pb.BatchedSendErrorSchema, {
        status: ce.code,
        message: ce.rawMessage,
        info: errorInfoOf(ce),
      }),
    },
  });
}
