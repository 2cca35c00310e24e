import { create } from '@bufbuild/protobuf';
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import type { ServiceImpl } from '@connectrpc/connect';
import { contacts } from '@mychat/protocol';
import type { Clock } from '../../kernel/clock.js';
import { errors } from '../../kernel/errors.js';
import { parseId } from '../../kernel/ids.js';
import { actorOf, cardMsg } from './contacts.rpc.js';
import {
  LIMITS,
  parseIds,
  parseInviteToken,
  parseInviteTtlHours,
  parseMuteSeconds,
  parseSettableRole,
  parseText,
} from './contacts.validation.js';
import type { GroupPictures } from './groups.avatars.js';
import type { GroupsService, GroupView } from './groups.service.js';
import type { PeopleMethods, TagMethods } from './contacts.rpc.js';

/** A link's id: the SHA-256 of its token, in hex. */
const LINK_ID = /^[0-9a-f]{64}$/;

function groupMsg(v: GroupView): contacts.Group {
  return create(contacts.GroupSchema, {
    id: v.group.id,
    name: v.group.name,
    announcement: v.group.announcement,
    ownerId: v.group.ownerId,
    memberCount: v.memberCount,
    maxMembers: v.maxMembers,
    muted: v.group.mutedAll,
    createdAt: timestampFromMs(v.group.createdAt),
    myRole: v.role,
    avatarUrl: v.group.avatarUrl,
  });
}

const groupName = (raw: string) => parseText(raw, 'name', LIMITS.groupName, { required: true });

type GroupMethods = Exclude<keyof ServiceImpl<typeof contacts.ContactsService>, PeopleMethods | TagMethods>;

/** The groups half of ContactsService: parse and validate, call, shape the answer. */
export function groupsRpc(
  service: GroupsService,
  clock: Clock,
  pictures: GroupPictures,
): Pick<ServiceImpl<typeof contacts.ContactsService>, GroupMethods> {
  const gid = (raw: string) => parseId(raw, 'groupId');
  return {
    async createGroup(req, ctx) {
      const actor = actorOf(ctx);
      const name = groupName(req.name);
      const group = await service.create(actor, name, parseIds(req.memberIds, 'memberIds'));
      return { group: groupMsg(group) };
    },
    async getGroup(req, ctx) {
      return { group: groupMsg(await service.get(actorOf(ctx), gid(req.groupId))) };
    },
    async listMyGroups(_req, ctx) {
      return { groups: (await service.listMine(actorOf(ctx))).map(groupMsg) };
    },
    async listSharedGroups(req, ctx) {
      const actor = actorOf(ctx);
      const groups = await service.listShared(actor, parseId(req.userId, 'userId'));
      return { groups: groups.map(groupMsg) };
    },
    async listGroupMembers(req, ctx) {
      const now = clock.now();
      const members = await service.members(actorOf(ctx), gid(req.groupId));
      return {
        members: members.map((m) => ({
          user: cardMsg(m.user),
          role: m.role,
          mutedUntil: m.mutedUntil > now ? timestampFromMs(m.mutedUntil) : undefined,
          joinedAt: timestampFromMs(m.joinedAt),
        })),
      };
    },
    async inviteToGroup(req, ctx) {
      const actor = actorOf(ctx);
      const group = await service.invite(actor, gid(req.groupId), parseIds(req.userIds, 'userIds', false));
      return { group: groupMsg(group) };
    },
    async createGroupInviteLink(req, ctx) {
      const actor = actorOf(ctx);
      const link = await service.createInviteLink(actor, gid(req.groupId), parseInviteTtlHours(req.ttlHours));
      return { token: link.token, expiresAt: timestampFromMs(link.expiresAt), linkId: link.linkId };
    },
    async listGroupInviteLinks(req, ctx) {
      const links = await service.inviteLinks(actorOf(ctx), gid(req.groupId));
      return {
        links: links.map((l) => ({
          id: l.tokenHash,
          createdBy: l.createdBy,
          createdAt: timestampFromMs(l.createdAt),
          expiresAt: timestampFromMs(l.expiresAt),
        })),
      };
    },
    async revokeGroupInviteLink(req, ctx) {
      if (!LINK_ID.test(req.linkId)) throw errors.invalidArgument('linkId is not a valid link id', 'linkId');
      await service.revokeInviteLink(actorOf(ctx), gid(req.groupId), req.linkId);
      return {};
    },
    async joinGroupByInvite(req, ctx) {
      const actor = actorOf(ctx);
      return { group: groupMsg(await service.joinByInvite(actor, parseInviteToken(req.token))) };
    },
    async leaveGroup(req, ctx) {
      await service.leave(actorOf(ctx), gid(req.groupId));
      return {};
    },
    async removeGroupMember(req, ctx) {
      const actor = actorOf(ctx);
      await service.removeMember(actor, gid(req.groupId), parseId(req.userId, 'userId'));
      return {};
    },
    async setGroupMemberRole(req, ctx) {
      const actor = actorOf(ctx);
      const role = parseSettableRole(req.role);
      await service.setRole(actor, gid(req.groupId), parseId(req.userId, 'userId'), role);
      return {};
    },
    async transferGroupOwnership(req, ctx) {
      const actor = actorOf(ctx);
      await service.transfer(actor, gid(req.groupId), parseId(req.newOwnerId, 'newOwnerId'));
      return {};
    },
    async updateGroup(req, ctx) {
      const actor = actorOf(ctx);
      const patch = {
        ...(req.name !== undefined && { name: groupName(req.name) }),
        ...(req.announcement !== undefined && {
          announcement: parseText(req.announcement, 'announcement', LIMITS.announcement, { multiline: true }),
        }),
      };
      return { group: groupMsg(await service.update(actor, gid(req.groupId), patch)) };
    },
    async setGroupAvatar(req, ctx) {
      const mediaId = req.mediaId && parseId(req.mediaId, 'mediaId');
      return { group: groupMsg(await pictures.set(actorOf(ctx), gid(req.groupId), mediaId)) };
    },
    async muteGroupMember(req, ctx) {
      const actor = actorOf(ctx);
      const seconds = parseMuteSeconds(req.durationSeconds);
      await service.muteMember(actor, gid(req.groupId), parseId(req.userId, 'userId'), seconds);
      return {};
    },
    async muteGroup(req, ctx) {
      await service.muteAll(actorOf(ctx), gid(req.groupId), req.muted);
      return {};
    },
  };
}
