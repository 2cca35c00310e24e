import { create } from '@bufbuild/protobuf';
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import type { HandlerContext, ServiceImpl } from '@connectrpc/connect';
import { contacts } from '@mychat/protocol';
import { errors } from '../../kernel/errors.js';
import { callInfo, requireCaller } from '../../rpc/call-context.js';
import type { FriendGraph } from './contacts.graph.js';
import type { GroupsRepository } from './groups.repository.js';
import type { Actor, Card } from './contacts.peers.js';
import type { ContactsService, RequestView } from './contacts.service.js';
import { parseId } from '../../kernel/ids.js';
import { charCount, LIMITS, parseIds, parseResponse, parseText } from './contacts.validation.js';

/** The authenticated caller and the request id of a public call. */
export function actorOf(ctx: HandlerContext): Actor {
  const c = requireCaller(ctx);
  return { userId: c.userId, sessionId: c.sessionId, requestId: callInfo(ctx).requestId };
}

export function cardMsg(c: Card | undefined): contacts.UserCard | undefined {
  return c && create(contacts.UserCardSchema, c);
}

function requestMsg(v: RequestView): contacts.FriendRequest {
  return create(contacts.FriendRequestSchema, {
    id: v.row.id,
    from: cardMsg(v.from),
    to: cardMsg(v.to),
    note: v.row.note,
    state: v.state,
    createdAt: timestampFromMs(v.row.createdAt),
  });
}

/** The ContactsService methods about people; groups.rpc.ts implements the rest. */
export type PeopleMethods =
  | 'searchUsers'
  | 'getUsers'
  | 'sendFriendRequest'
  | 'listFriendRequests'
  | 'respondFriendRequest'
  | 'listFriends'
  | 'setRemark'
  | 'deleteFriend'
  | 'blockUser'
  | 'unblockUser'
  | 'listBlocked';

/** The ContactsService methods about friend tags (contacts.tags.ts). */
export type TagMethods = 'listFriendTags' | 'createFriendTag' | 'updateFriendTag' | 'deleteFriendTag';

/** The people half of ContactsService: parse and validate, call, shape the answer. */
export function contactsRpc(
  service: ContactsService,
): Pick<ServiceImpl<typeof contacts.ContactsService>, PeopleMethods> {
  return {
    async searchUsers(req, ctx) {
      const actor = actorOf(ctx);
      if (charCount(req.query) > LIMITS.searchQuery) throw errors.tooLong('query', LIMITS.searchQuery);
      if (req.limit < 0) throw errors.invalidArgument('limit must not be negative', 'limit');
      const users = await service.search(actor, req.query, req.limit);
      return { users: users.map((u) => cardMsg(u)!) };
    },
    async getUsers(req, ctx) {
      const actor = actorOf(ctx);
      const users = await service.getUsers(actor, parseIds(req.userIds, 'userIds'));
      return { users: users.map((u) => cardMsg(u)!) };
    },
    async sendFriendRequest(req, ctx) {
      const actor = actorOf(ctx);
      const to = parseId(req.userId, 'userId');
      const note = parseText(req.note, 'note', LIMITS.note, { multiline: true });
      const r = await service.sendRequest(actor, to, note);
      return { request: requestMsg(r.request), becameFriends: r.becameFriends };
    },
    async listFriendRequests(_req, ctx) {
      const r = await service.listRequests(actorOf(ctx));
      return { incoming: r.incoming.map(requestMsg), outgoing: r.outgoing.map(requestMsg) };
    },
    async respondFriendRequest(req, ctx) {
      const actor = actorOf(ctx);
      const id = parseId(req.requestId, 'requestId');
      const conversationId = await service.respond(actor, id, parseResponse(req.action));
      return { conversationId };
    },
    async listFriends(_req, ctx) {
      const friends = await service.listFriends(actorOf(ctx));
      return {
        friends: friends.map((f) => ({
          user: cardMsg(f.user),
          remark: f.remark,
          conversationId: f.conversationId,
          since: timestampFromMs(f.since),
          online: f.online,
          lastSeenMs: f.lastSeenMs,
        })),
      };
    },
    async setRemark(req, ctx) {
      const actor = actorOf(ctx);
      const id = parseId(req.userId, 'userId');
      await service.setRemark(actor, id, parseText(req.remark, 'remark', LIMITS.remark));
      return {};
    },
    async deleteFriend(req, ctx) {
      const actor = actorOf(ctx);
      await service.deleteFriend(actor, parseId(req.userId, 'userId'));
      return {};
    },
    async blockUser(req, ctx) {
      const actor = actorOf(ctx);
      await service.block(actor, parseId(req.userId, 'userId'));
      return {};
    },
    async unblockUser(req, ctx) {
      const actor = actorOf(ctx);
      await service.unblock(actor, parseId(req.userId, 'userId'));
      return {};
    },
    async listBlocked(_req, ctx) {
      const users = await service.listBlocked(actorOf(ctx));
      return { users: users.map((u) => cardMsg(u)!) };
    },
  };
}

const INTERNAL_IDS_MAX = 1000;

function internalIds(raw: string[], field: string): string[] {
  if (raw.length > INTERNAL_IDS_MAX) throw errors.invalidArgument(`at most ${INTERNAL_IDS_MAX} ids`, field);
  return raw.map((id) => parseId(id, field));
}

/** ContactsInternalService's console methods, served from contacts-admin.rpc.ts. */
export type ContactsAdminMethods =
  'adminGetGroup' | 'adminDissolveGroup' | 'adminTransferGroup' | 'purgeUser';

/** ContactsInternalService: for other services (presence, moments). Never exposed by the gateway. */
export function contactsInternalRpc(
  service: ContactsService,
  graph: FriendGraph,
  groups: GroupsRepository,
): Omit<ServiceImpl<typeof contacts.ContactsInternalService>, 'resolveFriendTags' | ContactsAdminMethods> {
  return {
    async listPresenceAudience(req) {
      return { userIds: await service.presenceAudience(parseId(req.userId, 'userId')) };
    },
    async getFriendGraph(req) {
      const userId = parseId(req.userId, 'userId');
      const check = internalIds(req.checkUserIds, 'checkUserIds');
      const [friends, blocked] = await Promise.all([
        graph.friends(userId),
        graph.blockRelations(userId, check),
      ]);
      return {
        friends: friends.map((f) => ({ userId: f.userId, sinceMs: f.since })),
        blockedUserIds: [...blocked],
      };
    },
    async lookupUsers(req, ctx) {
      const viewerId = parseId(req.viewerId, 'viewerId');
      const found = await graph.lookup(
        viewerId,
        internalIds(req.userIds, 'userIds'),
        callInfo(ctx).requestId,
      );
      return { users: found.map((f) => ({ user: cardMsg(f.user), remark: f.remark })) };
    },
    async getGroupRoles(req) {
      const userId = parseId(req.userId, 'userId');
      const ids = internalIds(req.groupIds, 'groupIds');
      const roles = await groups.rolesOf(userId, [...new Set(ids)]);
      return { roles: ids.map((id) => roles.get(id) ?? 0) };
    },
  };
}
