import type { Client } from '@connectrpc/connect';
import type { contacts } from '@mychat/protocol';
import type { Authed } from './chat-backend.js';
import { fromRole, toGroup, toGroupMember, type Group, type GroupMember } from './contacts-types.js';
import { MyChatError } from './errors.js';
import { ms } from './mappers.js';

/** An invite link as owners and admins see it (its token is shown only when it is made). */
export interface GroupInviteLink {
  /** Names the link for {@link GroupsApi.revokeInviteLink}; it cannot be used to join. */
  id: string;
  /** The owner or admin who made it. */
  createdBy: string;
  createdAt: Date;
  expiresAt: Date;
}

const group = (g: contacts.Group | undefined): Group => {
  if (!g) throw new MyChatError('the server sent no group', 'UNKNOWN');
  return toGroup(g);
};

/** Groups and their members. A group's id is also its conversation's id. Failures reject with MyChatError. */
export class GroupsApi {
  /** @internal */
  constructor(
    private readonly rpc: Client<typeof contacts.ContactsService>,
    private readonly authed: Authed,
  ) {}

  /** Creates a group (name: 1-64 characters) with some of the user's friends in it. */
  async create(name: string, memberIds: string[] = []): Promise<Group> {
    return group((await this.authed((h) => this.rpc.createGroup({ name, memberIds }, h))).group);
  }

  async get(groupId: string): Promise<Group> {
    return group((await this.authed((h) => this.rpc.getGroup({ groupId }, h))).group);
  }

  /** The groups the user is in. */
  async list(): Promise<Group[]> {
    return (await this.authed((h) => this.rpc.listMyGroups({}, h))).groups.map(toGroup);
  }

  /** The user's groups that `userId` is in too ("groups in common"; none for the user themself). */
  async shared(userId: string): Promise<Group[]> {
    return (await this.authed((h) => this.rpc.listSharedGroups({ userId }, h))).groups.map(toGroup);
  }

  async members(groupId: string): Promise<GroupMember[]> {
    return (await this.authed((h) => this.rpc.listGroupMembers({ groupId }, h))).members.map(toGroupMember);
  }

  /** Adds some of the user's friends (only friends, whatever the role: NOT_FRIENDS otherwise). */
  async invite(groupId: string, userIds: string[]): Promise<Group> {
    return group((await this.authed((h) => this.rpc.inviteToGroup({ groupId, userIds }, h))).group);
  }

  /**
   * A link token anyone can join with, valid `ttlHours` (default 7 days, at most 30), until an
   * owner or admin revokes it or its maker stops being one. `linkId` names it in {@link inviteLinks}.
   */
  async inviteLink(
    groupId: string,
    ttlHours = 0,
  ): Promise<{ token: string; expiresAt: Date; linkId: string }> {
    const r = await this.authed((h) => this.rpc.createGroupInviteLink({ groupId, ttlHours }, h));
    return { token: r.token, expiresAt: new Date(ms(r.expiresAt)), linkId: r.linkId };
  }

  /** Owners and admins: the group's links that still work, newest first (ids, not tokens). */
  async inviteLinks(groupId: string): Promise<GroupInviteLink[]> {
    const r = await this.authed((h) => this.rpc.listGroupInviteLinks({ groupId }, h));
    return r.links.map((l) => ({
      id: l.id,
      createdBy: l.createdBy,
      createdAt: new Date(ms(l.createdAt)),
      expiresAt: new Date(ms(l.expiresAt)),
    }));
  }

  /** Owners and admins: the link stops working at once. */
  async revokeInviteLink(groupId: string, linkId: string): Promise<void> {
    await this.authed((h) => this.rpc.revokeGroupInviteLink({ groupId, linkId }, h));
  }

  async join(token: string): Promise<Group> {
    return group((await this.authed((h) => this.rpc.joinGroupByInvite({ token }, h))).group);
  }

  async leave(groupId: string): Promise<void> {
    await this.authed((h) => this.rpc.leaveGroup({ groupId }, h));
  }

  /** Owners and admins remove members (admins only plain members). */
  async remove(groupId: string, userId: string): Promise<void> {
    await this.authed((h) => this.rpc.removeGroupMember({ groupId, userId }, h));
  }

  /** Owner only: member <-> admin. */
  async setRole(groupId: string, userId: string, role: 'member' | 'admin'): Promise<void> {
    await this.authed((h) => this.rpc.setGroupMemberRole({ groupId, userId, role: fromRole(role) }, h));
  }

  /** Owner only: hands the group to another member (the old owner becomes an admin or member as the server decides). */
  async transfer(groupId: string, newOwnerId: string): Promise<void> {
    await this.authed((h) => this.rpc.transferGroupOwnership({ groupId, newOwnerId }, h));
  }

  /** Name and announcement; owners and admins. Omitted fields stay as they are. */
  async update(groupId: string, patch: { name?: string; announcement?: string }): Promise<Group> {
    return group((await this.authed((h) => this.rpc.updateGroup({ groupId, ...patch }, h))).group);
  }

  /**
   * The group's picture (owners and admins): a square image uploaded with `media.upload`
   * (kind `image`); `''` removes it. The answer's `avatarUrl` is a path on the server.
   */
  async setAvatar(groupId: string, mediaId: string): Promise<Group> {
    return group((await this.authed((h) => this.rpc.setGroupAvatar({ groupId, mediaId }, h))).group);
  }

  /** Mutes one member for `durationSeconds` (0 unmutes). */
  async muteMember(groupId: string, userId: string, durationSeconds: number): Promise<void> {
    await this.authed((h) => this.rpc.muteGroupMember({ groupId, userId, durationSeconds }, h));
  }

  /** Mutes everyone but owners and admins (or lifts it). */
  async muteAll(groupId: string, muted: boolean): Promise<void> {
    await this.authed((h) => this.rpc.muteGroup({ groupId, muted }, h));
  }
}
