import type { ServiceImpl } from '@connectrpc/connect';
import { message as pb } from '@mychat/protocol';
import type { Kysely } from 'kysely';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { asId, asNum, type SqlDatabase } from '../../adapters/sql/sql.js';
import { errors } from '../../kernel/errors.js';
import { parseId } from '../../kernel/ids.js';
import type { MessageRecall } from './message.recall.js';
import type { MessageTables } from './message.tables.js';

/** Messages recalled by one PurgeUserMessages call when the caller gives no limit, and at most. */
const DEFAULT_LIMIT = 200;
const MAX_LIMIT = 1000;

/** The tables of a user's own things in this module (favourites, stickers, drafts, hidden). */
interface UserTables {
  favorites: { user_id: string };
  stickers: { user_id: string };
  msg_drafts: { user_id: string };
  msg_hidden: { user_id: string };
}

/**
 * MessageInternalService.PurgeUserMessages, for the console's account deletion: each message
 * of the user still readable is recalled as a recall by its sender would be (its content and
 * its edits' texts emptied in storage, its pin dropped, and a RECALL event with its own seq in
 * its conversation, so every member's devices learn it through Sync as for any recall; the
 * search indexer drops it on that event). One event per message rather than one per
 * conversation: clients and the indexer already know it, and nothing new enters the protocol.
 * Each recall is its own short transaction; a call handles at most `limit` messages and yields
 * the event loop between them, and the console calls again while `more`.
 */
export function purgeRpc(
  sql: SqlDatabase,
  recall: MessageRecall,
): Pick<ServiceImpl<typeof pb.MessageInternalService>, 'purgeUserMessages'> {
  const db = sql.db as Kysely<MessageTables>;
  const own = sql.db as Kysely<UserTables>;
  return {
    async purgeUserMessages(req) {
      const userId = parseId(req.userId, 'userId');
      if (req.limit > MAX_LIMIT) throw errors.invalidArgument(`limit is at most ${MAX_LIMIT}`, 'limit');
      const limit = req.limit || DEFAULT_LIMIT;
      // By the (sender_id, client_msg_id) index; events (types from RECALL on) are not content.
      const rows = await db
        .selectFrom('msg_messages')
        .select(['conv_id', 'seq'])
        .where('sender_id', '=', userId)
        .where('recalled_at', 'is', null)
        .where('type', '<', pb.MessageType.RECALL)
        .limit(limit)
        .execute();
      let recalled = 0;
      for (const r of rows) {
        if (await recall.moderate(asId(r.conv_id), asNum(r.seq), userId)) recalled++;
        await nextTurn();
      }
      const more = rows.length === limit;
      if (!more)
        for (const table of ['favorites', 'stickers', 'msg_drafts', 'msg_hidden'] as const)
          await own.deleteFrom(table).where('user_id', '=', userId).execute();
      return { recalled, more };
    },
  };
}
