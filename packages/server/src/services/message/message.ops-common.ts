import { create } from '@bufbuild/protobuf';
import { message as pb } from '@mychat/protocol';
import type { Transaction } from 'kysely';
import { AppError, ErrorCode, errors } from '../../kernel/errors.js';
import type { Caller } from '../../rpc/call-context.js';
import { blockError, membershipOf, type MessageServiceDeps } from './message.deps.js';
import type { ConversationRow, MemberRow, MessageRow, MessageTables } from './message.tables.js';
import { encodeContent, messageView, sendBlock, visibleHead } from './message.views.js';
import { MessageOpsStore } from './store/ops-store.js';
import { refuseInEncrypted } from './message.encrypted.js';
import { fanOutEvent } from './message.event-reach.js';

/** Message types a reaction, an edit or a pin may name: what people send. */
const CONTENT_TYPES: readonly number[] = [
  pb.MessageType.TEXT,
  pb.MessageType.IMAGE,
  pb.MessageType.VOICE,
  pb.MessageType.VIDEO,
  pb.MessageType.FILE,
];

/** Reactions, edits and pins a user may make per second (each writes a message). */
const OPS_PER_SECOND = 10;

/** A write that turned out to change nothing: its transaction rolls back, its seq unused. */
export class NothingChanged extends Error {}

export interface OpTarget {
  conv: ConversationRow;
  me: MemberRow;
  target: MessageRow;
}

/**
 * The message at `seq` for a reaction, an edit or a pin by the caller: a message people sent
 * that the caller can see (from their join point to the head) in a conversation where they
 * may write now. A message they cannot see is NOT_FOUND, exactly as one that does not exist.
 */
export async function opTarget(
  d: MessageServiceDeps,
  caller: Caller,
  convId: string,
  seq: number,
): Promise<OpTarget> {
  const { conv, me } = await membershipOf(d.store, convId, caller.userId);
  const block = sendBlock(conv, me, d.clock.now());
  if (block !== 'ok') throw blockError(block);
  refuseInEncrypted(conv, 'reactions, edits and pins');
  const visible = seq >= me.firstSeq && seq <= visibleHead(conv, me);
  const target = visible ? await d.store.message(convId, seq) : undefined;
  if (!target || !CONTENT_TYPES.includes(target.type)) throw errors.notFound('no such message');
  if (target.recalledAt !== null)
    throw new AppError(ErrorCode.MESSAGE_RECALLED, 'that message was recalled', { field: 'seq' });
  await admitOp(d, caller.userId);
  return { conv, me, target };
}

/** Per-user limit on reactions, edits and pins. */
async function admitOp(d: MessageServiceDeps, userId: string): Promise<void> {
  const sec = Math.floor(d.clock.now() / 1000);
  const n = await d.kv.incr(`msg:rate:ops:${userId}:${sec}`, { ttlMs: 2000 });
  if (n > OPS_PER_SECOND) throw errors.rateLimited(1, 'you are doing that too fast; slow down');
}

/** A new event message (REACTION, EDIT, PIN) by the caller; its seq is set when stored. */
export function eventRow(
  d: MessageServiceDeps,
  caller: Caller,
  convId: string,
  clientMsgId: string,
  content: pb.MessageContent['body'],
): MessageRow {
  const type =
    content.case === 'reaction'
      ? pb.MessageType.REACTION
      : content.case === 'edit'
        ? pb.MessageType.EDIT
        : pb.MessageType.PIN;
  return {
    convId,
    seq: 0,
    id: d.ids.next(),
    senderId: caller.userId,
    clientMsgId,
    type,
    content: encodeContent(create(pb.MessageContentSchema, { body: content })),
    replyToSeq: 0,
    mentions: [],
    mentionAll: false,
    createdAt: d.clock.now(),
    recalledAt: null,
  };
}

/**
 * Stores `event` with the next seq of its conversation and runs `change` in the same
 * transaction, after the seq is reserved: the conversation's row lock then orders concurrent
 * changes of one conversation, so checks made in `change` (limits) hold. `change` throws
 * NothingChanged to roll everything back. Pushes the event to the members after the commit.
 * Returns undefined when nothing changed.
 */
export async function storeEvent(
  d: MessageServiceDeps,
  caller: Caller,
  event: MessageRow,
  change: (tx: Transaction<MessageTables>, ops: MessageOpsStore, seq: number) => Promise<void>,
): Promise<pb.Message | undefined> {
  const { store } = d;
  const ops = new MessageOpsStore(store.db);
  try {
    await store.transaction(async (tx) => {
      event.seq = await store.nextSeq(tx, event.convId, event.createdAt);
      await change(tx, ops, event.seq);
      await store.insertMessage(tx, event);
    });
  } catch (err) {
    if (err instanceof NothingChanged) return undefined;
    throw err;
  }
  const view = messageView(event);
  await fanOutEvent(d, event.convId, view, caller.sessionId);
  return view;
}
