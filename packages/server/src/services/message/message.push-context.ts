import type { ServiceImpl } from '@connectrpc/connect';
import { type message as pb } from '@mychat/protocol';
import { sql, type Kysely } from 'kysely';
import { asBool, asId, asNum } from '../../adapters/sql/sql.js';
import { errors } from '../../kernel/errors.js';
import { parseId } from '../../kernel/ids.js';
import { SILENT_TYPES, type MessageTables } from './message.tables.js';

/** Most users one GetPushContext call may name. */
export const MAX_PUSH_CONTEXT_USERS = 1000;

/**
 * MessageInternalService.GetPushContext: what the push worker needs to word a notification
 * (the conversation's type and name, each member's mute and unread count). Read-only, off the
 * send path: the push worker asks after it decided a member is offline.
 */
export function pushContextRpc(
  db: Kysely<MessageTables>,
): Pick<ServiceImpl<typeof pb.MessageInternalService>, 'getPushContext'> {
  return {
    async getPushContext(req) {
      const convId = parseId(req.conversationId, 'conversationId');
      if (req.userIds.length > MAX_PUSH_CONTEXT_USERS)
        throw errors.invalidArgument(`at most ${MAX_PUSH_CONTEXT_USERS} users`, 'userIds');
      const userIds = [...new Set(req.userIds.map((u) => parseId(u, 'userIds')))];
      const conv = await db
        .selectFrom('msg_conversations')
        .select(['type', 'name'])
        .where('id', '=', convId)
        .executeTakeFirst();
      if (!conv || !userIds.length)
        return { type: conv ? asNum(conv.type) : 0, name: conv?.name ?? '', recipients: [] };
      const members = await db
        .selectFrom('msg_members')
        .select(['user_id', 'muted'])
        .where('conv_id', '=', convId)
        .where('user_id', 'in', userIds)
        .where('left_seq', 'is', null)
        .execute();
      const present = members.map((m) => asId(m.user_id));
      // The badge: unread over every conversation the member has not muted, as the
      // conversation list counts it (from the later of the read cursor and the join).
      const unread = present.length
        ? await db
            .selectFrom('msg_members as m')
            .innerJoin('msg_conversations as c', 'c.id', 'm.conv_id')
            .select([
              'm.user_id',
              // Less the silent messages (reactions, edits) among them: they are not unread.
              sql<number>`sum(case when m.muted = 0 and c.last_seq > m.read_seq and c.last_seq >= m.first_seq
                then c.last_seq - (case when m.read_seq > m.first_seq - 1 then m.read_seq else m.first_seq - 1 end)
                  - (select count(*) from msg_messages x where x.conv_id = m.conv_id
                      and x.seq > (case when m.read_seq > m.first_seq - 1 then m.read_seq else m.first_seq - 1 end)
                      and x.type in (${sql.join(SILENT_TYPES)}))
                else 0 end)`.as('unread'),
            ])
            .where('m.user_id', 'in', present)
            .where('m.left_seq', 'is', null)
            .groupBy('m.user_id')
            .execute()
        : [];
      const unreadOf = new Map(unread.map((r) => [asId(r.user_id), asNum(r.unread)]));
      return {
        type: asNum(conv.type),
        name: conv.name,
        recipients: members.map((m) => ({
          userId: asId(m.user_id),
          muted: asBool(m.muted),
          unreadCount: Math.min(unreadOf.get(asId(m.user_id)) ?? 0, 2 ** 31 - 1),
        })),
      };
    },
  };
}
