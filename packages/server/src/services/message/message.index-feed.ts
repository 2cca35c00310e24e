/**
 * What the search service reads from the message store (issue 22), served on
 * MessageInternalService: the feed its indexer follows, and the read windows that make search
 * results exactly what GetHistory would show. Reads only; the send path does not know it.
 */
import type { Kysely, Migration } from 'kysely';
import type { ServiceImpl } from '@connectrpc/connect';
import { message as pb } from '@mychat/protocol';
import type { SqlDatabase } from '../../adapters/sql/sql.js';
import { errors } from '../../kernel/errors.js';
import { isId, parseId } from '../../kernel/ids.js';
import { IndexFeedQueries, type FeedRows } from './message.index-feed.queries.js';
import type { MessageRow } from './message.tables.js';
import { decodeContent, messageView } from './message.views.js';

/** Most messages one ListMessagesForIndex call returns. */
export const MAX_INDEX_FEED = 1000;

/**
 * Migration 0003: messages by id, so the feed reads "after this id" as an index range. Ids
 * are time-ordered, so new rows land at the end of this index.
 */
export const messagesByIdMigration: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema.createIndex('msg_messages_id_idx').on('msg_messages').column('id').execute();
  },
  async down(db: Kysely<unknown>) {
    await db.schema.dropIndex('msg_messages_id_idx').on('msg_messages').execute();
  },
};

const cursor = (raw: string, field: string): string | undefined => {
  if (raw === '') return undefined;
  if (!isId(raw)) throw errors.invalidArgument(`${field} is not a cursor this service gave`, field);
  return raw;
};

/**
 * The feed's messages, each EDIT followed by the message it edited as it is now (its latest
 * text, or recalled), so the index replaces the old text.
 */
async function withEdited(queries: FeedRows, rows: readonly MessageRow[]): Promise<pb.Message[]> {
  const places = new Map<MessageRow, { convId: string; seq: number }>();
  for (const r of rows) {
    if (r.type !== pb.MessageType.EDIT || r.recalledAt !== null) continue;
    const body = decodeContent(r.content).body;
    if (body.case === 'edit') places.set(r, { convId: r.convId, seq: body.value.seq });
  }
  const targets = new Map(
    (await queries.messagesAt([...places.values()])).map((t) => [`${t.convId}:${t.seq}`, t]),
  );
  return rows.flatMap((r) => {
    const at = places.get(r);
    const target = at && targets.get(`${at.convId}:${at.seq}`);
    return target ? [messageView(r), messageView(target)] : [messageView(r)];
  });
}

/**
 * One page of the feed (ListMessagesForIndex): served by the RPC below on the store's
 * connection, and by the search index thread's own read-only connection
 * (message.index-feed.reader.ts), the same rows and messages either way.
 */
export async function feedPage(
  queries: FeedRows,
  req: { afterCursor: string; untilCursor: string; limit: number },
): Promise<{ messages: pb.Message[]; nextCursor: string }> {
  const after = cursor(req.afterCursor, 'afterCursor') ?? '0';
  const until = cursor(req.untilCursor, 'untilCursor');
  if (req.limit < 0 || req.limit > MAX_INDEX_FEED)
    throw errors.invalidArgument(`limit is 1-${MAX_INDEX_FEED}`, 'limit');
  const rows = await queries.messagesAfter(after, until, req.limit || 500);
  return {
    messages: await withEdited(queries, rows),
    nextCursor: rows.length ? rows[rows.length - 1]!.id : req.afterCursor,
  };
}

export function indexFeedRpc(
  database: SqlDatabase,
): Pick<ServiceImpl<typeof pb.MessageInternalService>, 'listMessagesForIndex' | 'listReadableWindows'> {
  const queries = new IndexFeedQueries(database);
  return {
    listMessagesForIndex: (req) => feedPage(queries, req),
    async listReadableWindows(req) {
      const userId = parseId(req.userId, 'userId');
      const convId = req.conversationId === '' ? undefined : parseId(req.conversationId, 'conversationId');
      const rows = await queries.windows(userId, convId);
      return {
        windows: rows.map((w) => ({
          conversationId: w.convId,
          type: w.type,
          firstSeq: w.firstSeq,
          lastSeq: w.lastSeq,
          left: w.left,
          hiddenSeqs: w.hiddenSeqs,
        })),
      };
    },
  };
}
