import { create } from '@bufbuild/protobuf';
import { message as pb } from '@mychat/protocol';
import type { Kysely } from 'kysely';
import { isUniqueViolation } from '../../../adapters/sql/sql.js';
import type { MessageServiceDeps } from '../message.deps.js';
import { fanOutEvent } from '../message.event-reach.js';
import type { MessageRow, MessageTables } from '../message.tables.js';
import { encodeContent, messageView } from '../message.views.js';
import type { Db } from '../store/rows.js';
import type { CachedPreview, LinkPreviewTables } from './link-preview.repository.js';

/** The tables these statements touch: the message's and the link previews'. */
type Tables = LinkPreviewTables & Pick<MessageTables, 'msg_messages'>;

export type PreviewEventDeps = Pick<MessageServiceDeps, 'store' | 'bus' | 'logger' | 'clock' | 'ids'>;

export const previewMsg = (p: CachedPreview) =>
  create(pb.LinkPreviewSchema, {
    url: p.url,
    title: p.title,
    description: p.description,
    siteName: p.siteName,
    ...(p.image && { image: p.image }),
  });

/** The LINK_PREVIEW event of `target` (its seq set when stored), written as by its sender. */
function previewEvent(d: PreviewEventDeps, target: MessageRow, p: CachedPreview): MessageRow {
  const content = create(pb.MessageContentSchema, {
    body: { case: 'linkPreview', value: { seq: target.seq, preview: previewMsg(p) } },
  });
  return {
    convId: target.convId,
    seq: 0,
    id: d.ids.next(),
    senderId: target.senderId,
    // One per message: a second attempt is refused by the (sender, client id) key too.
    clientMsgId: `preview:${target.id}`,
    type: pb.MessageType.LINK_PREVIEW,
    content: encodeContent(content),
    replyToSeq: 0,
    mentions: [],
    mentionAll: false,
    createdAt: d.clock.now(),
    recalledAt: null,
  };
}

/**
 * Appends the silent LINK_PREVIEW event of `target` to its conversation (so sync brings the
 * preview to every device) and records which message shows which page, in one transaction
 * after the conversation's seq is reserved: its row lock orders this after a recall or another
 * attempt, so a message gets one event at most and none once recalled. Then the members who
 * can read the message are sent the event. Returns the event, or undefined when none was due.
 */
export async function appendPreviewEvent(
  d: PreviewEventDeps,
  target: MessageRow,
  p: CachedPreview,
): Promise<pb.Message | undefined> {
  const { store } = d;
  const event = previewEvent(d, target, p);
  let due = false;
  await store
    .transaction(async (tx) => {
      // The lock first: what is read after it includes a recall or an attempt that came first.
      event.seq = await store.nextSeq(tx, target.convId, event.createdAt);
      const db = tx as unknown as Kysely<Tables>;
      const shown = await db
        .selectFrom('msg_link_previews')
        .select('seq')
        .where('conv_id', '=', target.convId)
        .where('seq', '=', target.seq)
        .executeTakeFirst();
      const now = await store.message(target.convId, target.seq, tx);
      if (shown || !now || now.recalledAt !== null) throw new Rollback();
      await db
        .insertInto('msg_link_previews')
        .values({ conv_id: target.convId, seq: target.seq, url_hash: p.urlHash, event_seq: event.seq })
        .execute();
      await store.insertMessage(tx, event);
      due = true;
    })
    .catch((err: unknown) => {
      // It has one, or was recalled meanwhile; or another process stored it at the same moment.
      if (!(err instanceof Rollback) && !isUniqueViolation(err)) throw err;
    });
  if (!due) return undefined;
  const view = messageView(event);
  await fanOutEvent(d, target.convId, view, '');
  return view;
}

/** Gives the reserved seq back: the message has its event already, or was recalled meanwhile. */
class Rollback extends Error {}

/**
 * A recall takes the preview's event with it (as it does its edits): nothing of a recalled
 * message is read anywhere. Run in the recall's transaction, after its seq is reserved.
 */
export async function recallPreviewEvent(tx: Db, convId: string, seq: number, now: number): Promise<void> {
  // One statement: its subquery reads what is committed now (also under MariaDB's snapshots).
  await (tx as unknown as Kysely<Tables>)
    .updateTable('msg_messages')
    .set({ content: '{}', recalled_at: now })
    .where('conv_id', '=', convId)
    .where('seq', '=', (eb) =>
      eb
        .selectFrom('msg_link_previews')
        .select('event_seq')
        .where('conv_id', '=', convId)
        .where('seq', '=', seq),
    )
    .execute();
}
