import { create } from '@bufbuild/protobuf';
import { message as pb } from '@mychat/protocol';
import { AppError, ErrorCode, errors } from '../../kernel/errors.js';
import type { Caller } from '../../rpc/call-context.js';
import { membershipOf, type MessageServiceDeps } from './message.deps.js';
import { eventRow, NothingChanged, opTarget, storeEvent } from './message.ops-common.js';
import { CONV_GROUP, ROLE_ADMIN } from './message.tables.js';
import { messageView, visibleHead } from './message.views.js';
import { MessageOpsStore } from './store/ops-store.js';

/** Most pinned messages in one conversation. */
export const MAX_PINS = 50;

/**
 * Pinned messages: a bar in the chat's header. In groups owners and admins pin, in 1:1 both
 * sides; each change is a PIN message (a notice in the chat) and `msg_pins` keeps the list.
 * Part of the public MessageService.
 */
export class MessagePins {
  constructor(private readonly d: MessageServiceDeps) {}

  async pin(caller: Caller, convId: string, seq: number, unpin: boolean): Promise<pb.PinMessageResponse> {
    const { conv, me } = await opTarget(this.d, caller, convId, seq);
    if (conv.type === CONV_GROUP && me.role < ROLE_ADMIN)
      throw errors.permissionDenied('only group owners and admins may pin messages');
    const event = eventRow(this.d, caller, convId, `pin:${this.d.ids.next()}`, {
      case: 'pin',
      value: create(pb.PinContentSchema, { seq, unpin }),
    });
    const message = await storeEvent(this.d, caller, event, async (tx, ops) => {
      if (unpin) {
        if (!(await ops.unpin(tx, convId, seq))) throw new NothingChanged();
        return;
      }
      const pinned = (await ops.pinnedSeqs([convId], tx)).get(convId) ?? [];
      if (pinned.includes(seq)) throw new NothingChanged();
      if (pinned.length >= MAX_PINS)
        throw new AppError(ErrorCode.PIN_LIMIT, `a chat has at most ${MAX_PINS} pinned messages`);
      await ops.pin(tx, convId, seq, caller.userId, event.createdAt);
    });
    const pinnedSeqs = (await new MessageOpsStore(this.d.store.db).pinnedSeqs([convId])).get(convId) ?? [];
    return create(pb.PinMessageResponseSchema, { ...(message && { message }), pinnedSeqs });
  }

  /** The pinned messages the caller can see, newest pin first. */
  async list(caller: Caller, convId: string): Promise<pb.Message[]> {
    const { conv, me } = await membershipOf(this.d.store, convId, caller.userId);
    const head = visibleHead(conv, me);
    const ops = new MessageOpsStore(this.d.store.db);
    const seqs = ((await ops.pinnedSeqs([convId])).get(convId) ?? []).filter(
      (s) => s >= me.firstSeq && s <= head,
    );
    const out: pb.Message[] = [];
    for (const seq of seqs) {
      const row = await this.d.store.message(convId, seq);
      if (row && row.recalledAt === null) out.push(messageView(row));
    }
    return out;
  }
}
