import type { ServiceImpl } from '@connectrpc/connect';
import type { message as pb } from '@mychat/protocol';
import { AppError, ErrorCode, errors } from '../../kernel/errors.js';
import { parseId as id } from '../../kernel/ids.js';
import { requireCaller } from '../../rpc/call-context.js';
import type { MessageEdits } from './message.edit.js';
import type { MessagePins } from './message.pins.js';
import { checkEmoji, type MessageReactions } from './message.reactions.js';

/** Reactions, edits and pins: parts of the public MessageService. */
export interface MessageOpsParts {
  reactions: MessageReactions;
  edits: MessageEdits;
  pins: MessagePins;
}

const CLIENT_MSG_ID = /^[A-Za-z0-9._:-]{1,64}$/;
const utf8 = new TextEncoder();

/** A seq that names a message (1 or more). */
function seqOf(seq: number): number {
  if (!Number.isInteger(seq) || seq < 1) throw errors.invalidArgument('seq names no message', 'seq');
  return seq;
}

/** ReactToMessage, EditMessage, PinMessage and ListPinnedMessages over the wire: parse, call, shape. */
export function msgOpsRpc(
  { reactions, edits, pins }: MessageOpsParts,
  maxTextBytes: number,
): Pick<
  ServiceImpl<typeof pb.MessageService>,
  'reactToMessage' | 'editMessage' | 'pinMessage' | 'listPinnedMessages'
> {
  return {
    async reactToMessage(req, ctx) {
      const caller = requireCaller(ctx);
      if (!CLIENT_MSG_ID.test(req.clientMsgId))
        throw errors.invalidArgument('clientMsgId must be 1-64 letters, digits or . _ : -', 'clientMsgId');
      return reactions.react(caller, {
        conversationId: id(req.conversationId, 'conversationId'),
        seq: seqOf(req.seq),
        emoji: checkEmoji(req.emoji),
        remove: req.remove,
        clientMsgId: req.clientMsgId,
      });
    },
    async editMessage(req, ctx) {
      const caller = requireCaller(ctx);
      if (utf8.encode(req.text).length > maxTextBytes)
        throw new AppError(ErrorCode.MESSAGE_TOO_LONG, `a text message is at most ${maxTextBytes} bytes`, {
          field: 'text',
        });
      if (req.text.trim() === '') throw errors.invalidArgument('a text message cannot be empty', 'text');
      if (req.text.includes('\0')) throw errors.invalidArgument('text contains a NUL character', 'text');
      return edits.edit(caller, {
        conversationId: id(req.conversationId, 'conversationId'),
        seq: seqOf(req.seq),
        text: req.text,
      });
    },
    async pinMessage(req, ctx) {
      return pins.pin(
        requireCaller(ctx),
        id(req.conversationId, 'conversationId'),
        seqOf(req.seq),
        req.unpin,
      );
    },
    async listPinnedMessages(req, ctx) {
      return { messages: await pins.list(requireCaller(ctx), id(req.conversationId, 'conversationId')) };
    },
  };
}
