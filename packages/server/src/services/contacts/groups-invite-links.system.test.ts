import { contacts } from '@mychat/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { manualClock } from '../../kernel/clock.js';
import { expectReason } from '../../../test/helpers/auth-helpers.js';
import {
  befriend,
  CONTACTS_SETUPS,
  newUser,
  setupAvailable,
  startContactsEnv,
  type ContactsClient,
  type ContactsEnv,
  type TestUser,
} from '../../../test/helpers/contacts-helpers.js';

const { GroupRole: R } = contacts;

/**
 * Invite links can be listed and revoked by owners and admins, die with their maker's admin
 * role, and do not let a removed member back in. The clock is moved by hand, so "before" and
 * "after" a removal never share a millisecond.
 */
for (const setup of CONTACTS_SETUPS.filter((s) => !s.fakeMessage)) {
  const ok = await setupAvailable(setup);

  describe.skipIf(!ok)(`group invite links on ${setup.name}`, () => {
    let env: ContactsEnv;
    let api: ContactsClient;
    const clock = manualClock();
    const user = (name?: string) => newUser(env, name);
    const tick = () => clock.advance(1_000);

    beforeAll(async () => {
      env = await startContactsEnv(setup, {}, clock);
      api = env.api;
    });
    afterAll(() => env?.stop());

    /** An owner, an admin and a member, all friends of the owner. */
    async function team() {
      const [owner, admin, member] = [await user('Owner'), await user('Admin'), await user('Member')];
      for (const u of [admin, member]) await befriend(api, owner, u);
      const { group } = await api.createGroup({ name: 'Team', memberIds: [admin.id, member.id] }, owner.h);
      const id = group!.id;
      await api.setGroupMemberRole({ groupId: id, userId: admin.id, role: R.ADMIN }, owner.h);
      return { owner, admin, member, id };
    }
    const link = async (id: string, by: TestUser) => {
      tick();
      return api.createGroupInviteLink({ groupId: id, ttlHours: 24 }, by.h);
    };
    const listed = async (id: string, as: TestUser) =>
      (await api.listGroupInviteLinks({ groupId: id }, as.h)).links.map((l) => [l.id, l.createdBy]);

    it('lists working links to owners and admins only, and revokes one at once', async () => {
      const { owner, admin, member, id } = await team();
      const a = await link(id, owner);
      const b = await link(id, admin);
      expect(a.linkId).toMatch(/^[0-9a-f]{64}$/);
      // Newest first, with who made each; never the tokens.
      expect(await listed(id, owner)).toEqual([
        [b.linkId, admin.id],
        [a.linkId, owner.id],
      ]);
      expect(await listed(id, admin)).toHaveLength(2);
      await expectReason(api.listGroupInviteLinks({ groupId: id }, member.h), 'PERMISSION_DENIED');
      await expectReason(api.listGroupInviteLinks({ groupId: id }, (await user()).h), 'NOT_FOUND');
      await expectReason(
        api.revokeGroupInviteLink({ groupId: id, linkId: a.linkId }, member.h),
        'PERMISSION_DENIED',
      );

      // An admin revokes the owner's link: it stops working at once; the other still works.
      await api.revokeGroupInviteLink({ groupId: id, linkId: a.linkId }, admin.h);
      expect(await listed(id, owner)).toEqual([[b.linkId, admin.id]]);
      await expectReason(api.joinGroupByInvite({ token: a.token }, (await user()).h), 'INVITE_INVALID');
      expect((await api.joinGroupByInvite({ token: b.token }, (await user()).h)).group?.memberCount).toBe(4);

      // Bad input: unknown, already revoked, another group's link, not an id at all.
      await expectReason(api.revokeGroupInviteLink({ groupId: id, linkId: a.linkId }, owner.h), 'NOT_FOUND');
      const other = await team();
      const theirs = await link(other.id, other.owner);
      await expectReason(
        api.revokeGroupInviteLink({ groupId: id, linkId: theirs.linkId }, owner.h),
        'NOT_FOUND',
      );
      // The link id is not a token: it does not let anyone in.
      await expectReason(api.joinGroupByInvite({ token: theirs.linkId }, (await user()).h), 'INVITE_INVALID');
      for (const linkId of ['', 'x', theirs.token, 'A'.repeat(64)])
        await expectReason(api.revokeGroupInviteLink({ groupId: id, linkId }, owner.h), 'INVALID_ARGUMENT');
    });

    it('a link dies when its maker is demoted, removed or leaves', async () => {
      const { owner, admin, id } = await team();
      const byAdmin = await link(id, admin);
      const byOwner = await link(id, owner);
      await api.setGroupMemberRole({ groupId: id, userId: admin.id, role: R.MEMBER }, owner.h);
      await expectReason(api.joinGroupByInvite({ token: byAdmin.token }, (await user()).h), 'INVITE_INVALID');
      // Promoting them again does not bring it back.
      await api.setGroupMemberRole({ groupId: id, userId: admin.id, role: R.ADMIN }, owner.h);
      await expectReason(api.joinGroupByInvite({ token: byAdmin.token }, (await user()).h), 'INVITE_INVALID');
      expect(await listed(id, owner)).toEqual([[byOwner.linkId, owner.id]]);

      const second = await link(id, admin);
      await api.removeGroupMember({ groupId: id, userId: admin.id }, owner.h);
      await expectReason(api.joinGroupByInvite({ token: second.token }, (await user()).h), 'INVITE_INVALID');

      const t = await team();
      const third = await link(t.id, t.admin);
      await api.leaveGroup({ groupId: t.id }, t.admin.h);
      await expectReason(api.joinGroupByInvite({ token: third.token }, (await user()).h), 'INVITE_INVALID');
      // The owner's links are untouched by all of this.
      expect((await api.joinGroupByInvite({ token: byOwner.token }, (await user()).h)).group?.id).toBe(id);
    });

    it('a removed member cannot rejoin with a link made before the removal, only a newer one', async () => {
      const { owner, member, id } = await team();
      const old = await link(id, owner);
      tick();
      await api.removeGroupMember({ groupId: id, userId: member.id }, owner.h);
      await expectReason(api.joinGroupByInvite({ token: old.token }, member.h), 'INVITE_INVALID');
      // Others still join with it.
      expect((await api.joinGroupByInvite({ token: old.token }, (await user()).h)).group?.id).toBe(id);
      const fresh = await link(id, owner);
      expect((await api.joinGroupByInvite({ token: fresh.token }, member.h)).group).toMatchObject({
        id,
        myRole: R.MEMBER,
      });
      // Someone who left by themselves may come back with an old link.
      const stays = await user();
      await api.joinGroupByInvite({ token: old.token }, stays.h);
      await api.leaveGroup({ groupId: id }, stays.h);
      expect((await api.joinGroupByInvite({ token: old.token }, stays.h)).group?.id).toBe(id);
    });
  });
}
