import { create } from '@bufbuild/protobuf';
import { message as pb } from '@mychat/protocol';
import { pushFrame } from '../../contracts/push-envelope.js';
import { fanOut, type MessageServiceDeps } from './message.deps.js';
import type { MemberRow } from './message.tables.js';
import { firstReadable } from './message.views.js';

/**
 * Events that carry something of the message they name: an edit its new text, a link preview
 * the page. A member who may not read that message (joined after it, cleared past it, deleted
 * it for themself) still gets the event, so their seqs stay gapless, but without that part.
 */
type Carrying = Extract<pb.MessageContent['body'], { case: 'edit' | 'linkPreview' }>;

function carrying(v: pb.Message): Carrying | undefined {
  const b = v.content?.body;
  return b?.case === 'edit' || b?.case === 'linkPreview' ? b : undefined;
}

/** The event with only the seq it names: what a member who may not read that message gets. */
export function withoutCarried(v: pb.Message): pb.Message {
  const b = carrying(v);
  if (!b) return v;
  const body: pb.MessageContent['body'] =
    b.case === 'edit'
      ? { case: 'edit', value: create(pb.EditContentSchema, { seq: b.value.seq }) }
      : { case: 'linkPreview', value: create(pb.LinkPreviewContentSchema, { seq: b.value.seq }) };
  return create(pb.MessageSchema, { ...v, content: create(pb.MessageContentSchema, { body }) });
}

/** Whether `me` may read the message of `seq`: in their readable part and not deleted for them. */
const mayRead = (me: MemberRow, seq: number, hidden: ReadonlySet<number>) =>
  seq >= firstReadable(me) && !hidden.has(seq);

/**
 * An event as `me` reads it on a history page. `hidden`: the seqs `me` deleted for themself
 * among those the page's events name.
 */
export function eventFor(v: pb.Message, me: MemberRow, hidden: ReadonlySet<number>): pb.Message {
  const b = carrying(v);
  return b && !mayRead(me, b.value.seq, hidden) ? withoutCarried(v) : v;
}

/** The seqs the events among `views` name (to look up which of them the reader deleted). */
export const namedSeqs = (views: readonly pb.Message[]): number[] =>
  views.flatMap((v) => {
    const b = carrying(v);
    return b ? [b.value.seq] : [];
  });

/**
 * Pushes a stored event to the conversation's members (not `exceptSession`): the whole event to
 * those who may read the message it names, the event without its text or preview to the others.
 */
export async function fanOutEvent(
  d: Pick<MessageServiceDeps, 'store' | 'bus' | 'logger'>,
  convId: string,
  view: pb.Message,
  exceptSession: string,
): Promise<void> {
  const b = carrying(view);
  if (!b) {
    await fanOut(d, convId, pushFrame({ case: 'message', value: view }), exceptSession);
    return;
  }
  const seq = b.value.seq;
  let members: MemberRow[];
  let hiders: Set<string>;
  try {
    members = (await d.store.members(convId)).filter((m) => m.leftSeq === null);
    hiders = await d.store.hiddenBy(
      convId,
      seq,
      members.map((m) => m.userId),
    );
  } catch (err) {
    d.logger.warn({ err, conversation_id: convId }, 'push failed');
    return;
  }
  const readers: string[] = [];
  const others: string[] = [];
  for (const m of members) {
    (mayRead(m, seq, hiders.has(m.userId) ? new Set([seq]) : NONE) ? readers : others).push(m.userId);
  }
  if (readers.length)
    await fanOut(d, convId, pushFrame({ case: 'message', value: view }), exceptSession, undefined, readers);
  if (others.length)
    await fanOut(
      d,
      convId,
      pushFrame({ case: 'message', value: withoutCarried(view) }),
      exceptSession,
      undefined,
      others,
    );
}

const NONE: ReadonlySet<number> = new Set();
