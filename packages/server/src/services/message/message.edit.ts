import { create } from '@bufbuild/protobuf';
import { message as pb } from '@mychat/protocol';
import { formatDuration } from '../../kernel/durations.js';
import { AppError, ErrorCode, errors } from '../../kernel/errors.js';
import type { Caller } from '../../rpc/call-context.js';
import type { MessageServiceDeps } from './message.deps.js';
import { eventRow, opTarget, storeEvent } from './message.ops-common.js';
import { encodeContent, messageView } from './message.views.js';

/** The default edit window: a day. */
export const DEFAULT_EDIT_WINDOW_SECONDS = 86_400;

/**
 * Editing a sent text: the message keeps its place and gets the new text and an edit time,
 * and a silent EDIT message carries the change to every device (sync covers it). Only the
 * sender, only text, only within `message.editWindowSeconds` (0: off), never a recalled
 * message. Part of the public MessageService.
 */
export class MessageEdits {
  constructor(private readonly d: MessageServiceDeps) {}

  async edit(
    caller: Caller,
    input: { conversationId: string; seq: number; text: string },
  ): Promise<pb.EditMessageResponse> {
    const window = this.d.rules.editWindowSeconds ?? DEFAULT_EDIT_WINDOW_SECONDS;
    if (window === 0) throw new AppError(ErrorCode.EDIT_WINDOW_PASSED, 'editing messages is turned off');
    const { target } = await opTarget(this.d, caller, input.conversationId, input.seq);
    if (target.senderId !== caller.userId)
      throw errors.permissionDenied('you can edit only your own messages');
    if (target.type !== pb.MessageType.TEXT)
      throw errors.invalidArgument('only text messages can be edited', 'seq');
    if (this.d.clock.now() - target.createdAt > window * 1000)
      throw new AppError(
        ErrorCode.EDIT_WINDOW_PASSED,
        `messages can be edited within ${formatDuration(window)}`,
      );
    const text = create(pb.MessageContentSchema, { body: { case: 'text', value: { text: input.text } } });
    const event = eventRow(this.d, caller, target.convId, `edit:${this.d.ids.next()}`, {
      case: 'edit',
      value: create(pb.EditContentSchema, { seq: target.seq, text: input.text }),
    });
    const message = await storeEvent(this.d, caller, event, async (tx, ops, seq) => {
      await ops.markEdited(tx, target.convId, target.seq, encodeContent(text), seq, event.createdAt);
    });
    const edited = messageView({ ...target, editedAt: event.createdAt }, text);
    return create(pb.EditMessageResponseSchema, { message, edited });
  }
}
