import { contacts } from '@mychat/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectReason } from '../../../test/helpers/auth-helpers.js';
import {
  befriend,
  CONTACTS_SETUPS,
  newUser,
  sendText,
  setupAvailable,
  startContactsEnv,
  type ContactsClient,
  type ContactsEnv,
  type TestUser,
} from '../../../test/helpers/contacts-helpers.js';

const { GroupRole: R } = contacts;

/** Groups through the public edge: membership, roles, links, settings, permissions. */
for (const setup of CONTACTS_SETUPS) {
  const ok = await setupAvailable(setup);
  /** Checks that need the real message service (sending in the group's conversation). */
  const realMessages = !setup.fakeMessage;

  describe.skipIf(!ok)(`groups on ${setup.name}`, () => {
    let env: ContactsEnv;
    let api: ContactsClient;
    const user = (nickname?: string) => newUser(env, nickname);

    beforeAll(async () => {
      env = await startContactsEnv(setup);
      api = env.api;
    });
    afterAll(() => env?.stop());

    /** An owner with `n` friends, and a group of all of them. */
    async function groupOf(n: number, name = 'Team') {
      const owner = await user('Owner');
      const others: TestUser[] = [];
      for (let i = 0; i < n; i++) {
        const u = await user(`M${i}`);
        await befriend(api, owner, u);
        others.push(u);
      }
      const { group } = await api.createGroup({ name, memberIds: others.map((u) => u.id) }, owner.h);
      return { owner, others, id: group!.id, group: group! };
    }
    const roles = async (groupId: string, as: TestUser) =>
      Object.fromEntries(
        (await api.listGroupMembers({ groupId }, as.h)).members.map((m) => [m.user!.id, m.role]),
      );

    it('creates a group of friends with the creator as owner', async () => {
      const { owner, others, id, group } = await groupOf(2, ' Weekend hikes ');
      expect(group).toMatchObject({
        name: 'Weekend hikes',
        ownerId: owner.id,
        memberCount: 3,
        myRole: R.OWNER,
      });
      expect(await roles(id, others[0]!)).toEqual({
        [owner.id]: R.OWNER,
        [others[0]!.id]: R.MEMBER,
        [others[1]!.id]: R.MEMBER,
      });
      expect((await api.listMyGroups({}, others[1]!.h)).groups.map((g) => [g.id, g.myRole])).toEqual([
        [id, R.MEMBER],
      ]);
      expect((await api.getGroup({ groupId: id }, others[0]!.h)).group?.memberCount).toBe(3);

      const stranger = await user();
      await expectReason(api.createGroup({ name: 'x', memberIds: [stranger.id] }, owner.h), 'NOT_FRIENDS');
      await expectReason(api.getGroup({ groupId: id }, stranger.h), 'NOT_FOUND');
      await expectReason(api.listGroupMembers({ groupId: id }, stranger.h), 'NOT_FOUND');
      await expectReason(api.getGroup({ groupId: '777777' }, owner.h), 'NOT_FOUND');
      await expectReason(api.createGroup({ name: '  ', memberIds: [] }, owner.h), 'INVALID_ARGUMENT');
      await expectReason(api.createGroup({ name: 'n'.repeat(65), memberIds: [] }, owner.h), 'FIELD_TOO_LONG');
      await expectReason(api.createGroup({ name: 'ok', memberIds: ['x1'] }, owner.h), 'INVALID_ARGUMENT');
      expect(
        (await api.createGroup({ name: '群'.repeat(64), memberIds: [] }, owner.h)).group?.memberCount,
      ).toBe(1);
    });

    it.skipIf(!realMessages)('the group is a conversation its members can send in', async () => {
      const { owner, others, id } = await groupOf(1);
      expect((await sendText(env, others[0]!, id)).message?.seq).toBeGreaterThan(0);
      expect((await sendText(env, owner, id)).message?.conversationId).toBe(id);
      // Outsiders are not told the conversation exists (the message service's answer).
      await expectReason(sendText(env, await user(), id), 'NOT_FOUND');
    });

    it('everyone adds friends only (owners and admins too); strangers join by link; blockers cannot be added', async () => {
      const { owner, others, id } = await groupOf(1);
      const member = others[0]!;
      const [friendOfMember, stranger, other] = [await user(), await user(), await user()];
      await befriend(api, member, friendOfMember);
      await expectReason(api.inviteToGroup({ groupId: id, userIds: [stranger.id] }, member.h), 'NOT_FRIENDS');
      const g = await api.inviteToGroup({ groupId: id, userIds: [friendOfMember.id] }, member.h);
      expect(g.group?.memberCount).toBe(3);
      // Being the owner (or an admin) does not make a stranger's consent unnecessary, not even
      // hidden in a list with a friend: nobody on the list is added.
      await api.setGroupMemberRole({ groupId: id, userId: member.id, role: R.ADMIN }, owner.h);
      for (const adder of [owner, member])
        await expectReason(
          api.inviteToGroup({ groupId: id, userIds: [friendOfMember.id, stranger.id] }, adder.h),
          'NOT_FRIENDS',
        );
      expect(Object.keys(await roles(id, owner))).toHaveLength(3);
      const link = await api.createGroupInviteLink({ groupId: id, ttlHours: 1 }, owner.h);
      await api.joinGroupByInvite({ token: link.token }, stranger.h);
      // Already-members on the list are skipped, not checked.
      await api.inviteToGroup({ groupId: id, userIds: [stranger.id, member.id] }, owner.h);
      expect(Object.keys(await roles(id, owner))).toHaveLength(4);
      await expectReason(api.inviteToGroup({ groupId: id, userIds: ['55555555'] }, owner.h), 'NOT_FOUND');
      await expectReason(api.inviteToGroup({ groupId: id, userIds: [] }, owner.h), 'INVALID_ARGUMENT');
      await expectReason(
        api.inviteToGroup({ groupId: id, userIds: [other.id] }, (await user()).h),
        'NOT_FOUND',
      );
      await api.blockUser({ userId: owner.id }, other.h);
      await expectReason(api.inviteToGroup({ groupId: id, userIds: [other.id] }, owner.h), 'BLOCKED');
    });

    it('joins by an invite link; bad links are refused', async () => {
      const { owner, others, id } = await groupOf(1);
      await expectReason(
        api.createGroupInviteLink({ groupId: id, ttlHours: 0 }, others[0]!.h),
        'PERMISSION_DENIED',
      );
      await expectReason(
        api.createGroupInviteLink({ groupId: id, ttlHours: 721 }, owner.h),
        'INVALID_ARGUMENT',
      );
      const link = await api.createGroupInviteLink({ groupId: id, ttlHours: 0 }, owner.h);
      expect(link.token).toMatch(/^[A-Za-z0-9_-]{22}$/);
      const hours = (Number(link.expiresAt!.seconds) * 1000 - Date.now()) / 3_600_000;
      expect(hours).toBeGreaterThan(167);
      expect(hours).toBeLessThanOrEqual(168);

      const guest = await user('Guest');
      const joined = await api.joinGroupByInvite({ token: link.token }, guest.h);
      expect(joined.group).toMatchObject({ id, myRole: R.MEMBER, memberCount: 3 });
      // Joining twice changes nothing.
      expect((await api.joinGroupByInvite({ token: link.token }, guest.h)).group?.memberCount).toBe(3);
      const tampered = (link.token[0] === 'A' ? 'B' : 'A') + link.token.slice(1);
      for (const token of ['', 'short', tampered, link.token + 'x']) {
        await expectReason(api.joinGroupByInvite({ token }, (await user()).h), 'INVITE_INVALID');
      }
    });

    it('leaving: members leave, the owner must transfer first, the last one ends the group', async () => {
      const { owner, others, id } = await groupOf(2);
      await api.leaveGroup({ groupId: id }, others[0]!.h);
      await expectReason(api.getGroup({ groupId: id }, others[0]!.h), 'NOT_FOUND');
      await expectReason(api.leaveGroup({ groupId: id }, others[0]!.h), 'NOT_FOUND');
      await expectReason(api.leaveGroup({ groupId: id }, owner.h), 'PERMISSION_DENIED');

      await api.transferGroupOwnership({ groupId: id, newOwnerId: others[1]!.id }, owner.h);
      await api.leaveGroup({ groupId: id }, owner.h);
      expect(await roles(id, others[1]!)).toEqual({ [others[1]!.id]: R.OWNER });
      await api.leaveGroup({ groupId: id }, others[1]!.h); // the last member: the group ends
      await expectReason(api.getGroup({ groupId: id }, others[1]!.h), 'NOT_FOUND');
      expect((await api.listMyGroups({}, others[1]!.h)).groups).toEqual([]);
    });

    it('removing: the owner removes anyone, admins remove members only', async () => {
      const { owner, others, id } = await groupOf(4);
      const [admin, admin2, m1, m2] = others as [TestUser, TestUser, TestUser, TestUser];
      await api.setGroupMemberRole({ groupId: id, userId: admin.id, role: R.ADMIN }, owner.h);
      await api.setGroupMemberRole({ groupId: id, userId: admin2.id, role: R.ADMIN }, owner.h);
      await expectReason(api.removeGroupMember({ groupId: id, userId: m2.id }, m1.h), 'PERMISSION_DENIED');
      await expectReason(
        api.removeGroupMember({ groupId: id, userId: admin2.id }, admin.h),
        'PERMISSION_DENIED',
      );
      await expectReason(
        api.removeGroupMember({ groupId: id, userId: owner.id }, admin.h),
        'PERMISSION_DENIED',
      );
      await expectReason(
        api.removeGroupMember({ groupId: id, userId: owner.id }, owner.h),
        'CANNOT_TARGET_SELF',
      );
      await api.removeGroupMember({ groupId: id, userId: m1.id }, admin.h);
      await api.removeGroupMember({ groupId: id, userId: admin2.id }, owner.h);
      await expectReason(api.removeGroupMember({ groupId: id, userId: m1.id }, owner.h), 'NOT_A_MEMBER');
      expect(Object.keys(await roles(id, owner)).sort()).toEqual([owner.id, admin.id, m2.id].sort());
      if (realMessages) await expectReason(sendText(env, m1, id), 'NOT_A_MEMBER');
    });

    it('roles and transfer are the owner’s alone', async () => {
      const { owner, others, id } = await groupOf(2);
      const [a, b] = others as [TestUser, TestUser];
      await api.setGroupMemberRole({ groupId: id, userId: a.id, role: R.ADMIN }, owner.h);
      await expectReason(
        api.setGroupMemberRole({ groupId: id, userId: b.id, role: R.ADMIN }, a.h),
        'PERMISSION_DENIED',
      );
      await expectReason(
        api.setGroupMemberRole({ groupId: id, userId: b.id, role: R.OWNER }, owner.h),
        'INVALID_ARGUMENT',
      );
      await expectReason(
        api.setGroupMemberRole({ groupId: id, userId: b.id, role: 9 }, owner.h),
        'INVALID_ARGUMENT',
      );
      await expectReason(
        api.setGroupMemberRole({ groupId: id, userId: owner.id, role: R.MEMBER }, owner.h),
        'CANNOT_TARGET_SELF',
      );
      const outsider = await user();
      await expectReason(
        api.setGroupMemberRole({ groupId: id, userId: outsider.id, role: R.ADMIN }, owner.h),
        'NOT_A_MEMBER',
      );
      await expectReason(
        api.transferGroupOwnership({ groupId: id, newOwnerId: b.id }, a.h),
        'PERMISSION_DENIED',
      );
      await expectReason(
        api.transferGroupOwnership({ groupId: id, newOwnerId: outsider.id }, owner.h),
        'NOT_A_MEMBER',
      );

      await api.transferGroupOwnership({ groupId: id, newOwnerId: b.id }, owner.h);
      expect(await roles(id, b)).toEqual({ [owner.id]: R.ADMIN, [a.id]: R.ADMIN, [b.id]: R.OWNER });
      expect((await api.getGroup({ groupId: id }, owner.h)).group).toMatchObject({
        ownerId: b.id,
        myRole: R.ADMIN,
      });
      await api.setGroupMemberRole({ groupId: id, userId: a.id, role: R.MEMBER }, b.h);
      expect((await roles(id, b))[a.id]).toBe(R.MEMBER);
    });

    it('owners and admins rename and write the announcement', async () => {
      const { owner, others, id } = await groupOf(2);
      const [admin, member] = others as [TestUser, TestUser];
      await api.setGroupMemberRole({ groupId: id, userId: admin.id, role: R.ADMIN }, owner.h);
      const renamed = await api.updateGroup({ groupId: id, name: 'Renamed' }, admin.h);
      expect(renamed.group).toMatchObject({ name: 'Renamed', announcement: '', myRole: R.ADMIN });
      const text = 'Line one\nline two ' + '公'.repeat(1900);
      const announced = await api.updateGroup({ groupId: id, announcement: text }, owner.h);
      expect(announced.group).toMatchObject({ name: 'Renamed', announcement: text });
      await expectReason(api.updateGroup({ groupId: id, name: 'Mine' }, member.h), 'PERMISSION_DENIED');
      await expectReason(api.updateGroup({ groupId: id, name: '' }, owner.h), 'INVALID_ARGUMENT');
      await expectReason(api.updateGroup({ groupId: id, name: 'x'.repeat(65) }, owner.h), 'FIELD_TOO_LONG');
      await expectReason(
        api.updateGroup({ groupId: id, announcement: 'a'.repeat(2001) }, owner.h),
        'FIELD_TOO_LONG',
      );
      expect((await api.getGroup({ groupId: id }, member.h)).group?.name).toBe('Renamed');
    });

    it('mutes one member for a while, or everyone but owners and admins', async () => {
      const { owner, others, id } = await groupOf(3);
      const [admin, admin2, member] = others as [TestUser, TestUser, TestUser];
      await api.setGroupMemberRole({ groupId: id, userId: admin.id, role: R.ADMIN }, owner.h);
      await api.setGroupMemberRole({ groupId: id, userId: admin2.id, role: R.ADMIN }, owner.h);

      await api.muteGroupMember({ groupId: id, userId: member.id, durationSeconds: 600 }, admin.h);
      const muted = (await api.listGroupMembers({ groupId: id }, member.h)).members.find(
        (m) => m.user?.id === member.id,
      );
      const left = Number(muted!.mutedUntil!.seconds) - Date.now() / 1000;
      expect(left).toBeGreaterThan(590);
      expect(left).toBeLessThanOrEqual(601);
      if (realMessages) await expectReason(sendText(env, member, id), 'MUTED');
      await api.muteGroupMember({ groupId: id, userId: member.id, durationSeconds: 0 }, owner.h);
      const unmuted = (await api.listGroupMembers({ groupId: id }, owner.h)).members.find(
        (m) => m.user?.id === member.id,
      );
      expect(unmuted!.mutedUntil).toBeUndefined();
      if (realMessages) await sendText(env, member, id);

      await expectReason(
        api.muteGroupMember({ groupId: id, userId: admin2.id, durationSeconds: 60 }, admin.h),
        'PERMISSION_DENIED',
      );
      await expectReason(
        api.muteGroupMember({ groupId: id, userId: owner.id, durationSeconds: 60 }, admin.h),
        'PERMISSION_DENIED',
      );
      await expectReason(
        api.muteGroupMember({ groupId: id, userId: admin.id, durationSeconds: 60 }, member.h),
        'PERMISSION_DENIED',
      );
      await expectReason(
        api.muteGroupMember({ groupId: id, userId: member.id, durationSeconds: 31 * 86400 }, owner.h),
        'INVALID_ARGUMENT',
      );
      await api.muteGroupMember({ groupId: id, userId: admin.id, durationSeconds: 60 }, owner.h); // the owner may

      await expectReason(api.muteGroup({ groupId: id, muted: true }, member.h), 'PERMISSION_DENIED');
      await api.muteGroup({ groupId: id, muted: true }, admin2.h);
      expect((await api.getGroup({ groupId: id }, member.h)).group?.muted).toBe(true);
      if (realMessages) {
        await expectReason(sendText(env, member, id), 'MUTED');
        await sendText(env, admin2, id);
        await sendText(env, owner, id);
      }
      await api.muteGroup({ groupId: id, muted: false }, owner.h);
      expect((await api.getGroup({ groupId: id }, member.h)).group?.muted).toBe(false);
      if (realMessages) await sendText(env, member, id);
    });

    it('answers an outsider the same for a real group as for a made-up id (no existence probe)', async () => {
      const { owner, others, id } = await groupOf(1);
      const outsider = await user('Outsider');
      await befriend(api, outsider, owner);
      // Group ids are time-ordered: the next id over is a plausible guess that names nothing.
      const fake = String(BigInt(id) + 1n);
      const calls: [string, (g: string) => Promise<unknown>][] = [
        ['getGroup', (g) => api.getGroup({ groupId: g }, outsider.h)],
        ['listGroupMembers', (g) => api.listGroupMembers({ groupId: g }, outsider.h)],
        ['inviteToGroup', (g) => api.inviteToGroup({ groupId: g, userIds: [owner.id] }, outsider.h)],
        ['createGroupInviteLink', (g) => api.createGroupInviteLink({ groupId: g, ttlHours: 1 }, outsider.h)],
        ['leaveGroup', (g) => api.leaveGroup({ groupId: g }, outsider.h)],
        [
          'removeGroupMember',
          (g) => api.removeGroupMember({ groupId: g, userId: others[0]!.id }, outsider.h),
        ],
        [
          'setGroupMemberRole',
          (g) => api.setGroupMemberRole({ groupId: g, userId: others[0]!.id, role: R.ADMIN }, outsider.h),
        ],
        [
          'transferGroupOwnership',
          (g) => api.transferGroupOwnership({ groupId: g, newOwnerId: others[0]!.id }, outsider.h),
        ],
        ['updateGroup', (g) => api.updateGroup({ groupId: g, name: 'Mine now' }, outsider.h)],
        [
          'muteGroupMember',
          (g) => api.muteGroupMember({ groupId: g, userId: others[0]!.id, durationSeconds: 60 }, outsider.h),
        ],
        ['muteGroup', (g) => api.muteGroup({ groupId: g, muted: true }, outsider.h)],
        ['listGroupInviteLinks', (g) => api.listGroupInviteLinks({ groupId: g }, outsider.h)],
        [
          'revokeGroupInviteLink',
          (g) => api.revokeGroupInviteLink({ groupId: g, linkId: 'a'.repeat(64) }, outsider.h),
        ],
      ];
      const answer = async (p: Promise<unknown>) => {
        const err = await expectReason(p, 'NOT_FOUND');
        return { code: err.code, message: err.rawMessage };
      };
      for (const [name, call] of calls) {
        expect({ name, ...(await answer(call(id))) }).toEqual({ name, ...(await answer(call(fake))) });
      }
      // The group is untouched.
      expect((await api.getGroup({ groupId: id }, owner.h)).group).toMatchObject({
        name: 'Team',
        memberCount: 2,
      });
    });

    it('rejects malformed group input', async () => {
      const owner = await user();
      for (const groupId of ['', 'g1', '1'.repeat(21)]) {
        await expectReason(api.getGroup({ groupId }, owner.h), 'INVALID_ARGUMENT');
        await expectReason(api.leaveGroup({ groupId }, owner.h), 'INVALID_ARGUMENT');
      }
      await expectReason(
        api.inviteToGroup(
          { groupId: '1', userIds: Array.from({ length: 101 }, (_, i) => String(i + 1)) },
          owner.h,
        ),
        'INVALID_ARGUMENT',
      );
      await expectReason(
        api.muteGroupMember({ groupId: '1', userId: 'me', durationSeconds: 1 }, owner.h),
        'INVALID_ARGUMENT',
      );
    });
  });
}
