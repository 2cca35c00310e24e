import type { Group, GroupInviteLink } from '@mychat/sdk';
import { defineStore } from 'pinia';
import { sdkClient } from '../../sdk/current-client.js';
import { useContactsStore } from './contacts.store.js';

/** A fresh invite link, ready to share: the page URL that opens /join/<token>. */
export interface SharedInviteLink {
  url: string;
  expiresAt: Date;
  id: string;
}

/**
 * Managing one group (roles, members, mutes, invite links, settings, leaving, joining): wraps
 * client.groups and refreshes the lists the contacts store keeps, so a view only calls and shows.
 */
export const useGroupsStore = defineStore('groups', () => {
  const client = sdkClient();
  const contacts = useContactsStore();

  /** The user's groups that `userId` is in too (a contact card's "groups in common"). */
  function shared(userId: string): Promise<Group[]> {
    return client.groups.shared(userId);
  }

  async function setRole(groupId: string, userId: string, role: 'admin' | 'member') {
    await client.groups.setRole(groupId, userId, role);
    await contacts.loadMembers(groupId);
  }

  async function removeMember(groupId: string, userId: string) {
    await client.groups.remove(groupId, userId);
    await contacts.loadMembers(groupId);
  }

  /** Hands ownership over; one's own role changes too, so the group list reloads as well. */
  async function transfer(groupId: string, userId: string) {
    await client.groups.transfer(groupId, userId);
    await Promise.all([contacts.loadMembers(groupId), contacts.loadGroups()]);
  }

  async function muteMember(groupId: string, userId: string, seconds: number) {
    await client.groups.muteMember(groupId, userId, seconds);
    await contacts.loadMembers(groupId);
  }

  async function invite(groupId: string, userIds: string[]) {
    await client.groups.invite(groupId, userIds);
    await Promise.all([contacts.loadMembers(groupId), contacts.loadGroups()]);
  }

  /** Creates an invite link; `origin` is the page's, so the link opens this web app. */
  async function createInviteLink(groupId: string, origin: string): Promise<SharedInviteLink> {
    const r = await client.groups.inviteLink(groupId);
    return { url: `${origin}/join/${encodeURIComponent(r.token)}`, expiresAt: r.expiresAt, id: r.linkId };
  }

  function inviteLinks(groupId: string): Promise<GroupInviteLink[]> {
    return client.groups.inviteLinks(groupId);
  }

  async function revokeInviteLink(groupId: string, linkId: string) {
    await client.groups.revokeInviteLink(groupId, linkId);
  }

  async function update(groupId: string, patch: { name: string; announcement: string }) {
    await client.groups.update(groupId, patch);
    await contacts.loadGroups();
  }

  /** The group's picture (an uploaded square image; '' removes it). */
  async function setAvatar(groupId: string, mediaId: string) {
    await client.groups.setAvatar(groupId, mediaId);
    await contacts.loadGroups();
  }

  async function muteAll(groupId: string, on: boolean) {
    await client.groups.muteAll(groupId, on);
    await contacts.loadGroups();
  }

  async function leave(groupId: string) {
    await client.groups.leave(groupId);
    await contacts.loadGroups();
  }

  /** Joins by an invite link's token; resolves with the group, now in the list. */
  async function join(token: string): Promise<Group> {
    const g = await client.groups.join(token);
    await contacts.loadGroups();
    return g;
  }

  return {
    shared,
    setRole,
    removeMember,
    transfer,
    muteMember,
    invite,
    createInviteLink,
    inviteLinks,
    setAvatar,
    revokeInviteLink,
    update,
    muteAll,
    leave,
    join,
  };
});
