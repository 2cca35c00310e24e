import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { manualClock } from '../../kernel/clock.js';
import { bearer, device, expectReason, PASSWORD } from '../../../test/helpers/auth-helpers.js';
import {
  befriend,
  CONTACTS_SETUPS,
  newUser,
  setupAvailable,
  startContactsEnv,
  type ContactsClient,
  type ContactsEnv,
} from '../../../test/helpers/contacts-helpers.js';

/** Group size limits and invite-link expiry, with a small configured maximum and a hand-moved clock. */
for (const setup of CONTACTS_SETUPS.filter((s) => !s.fakeMessage)) {
  const ok = await setupAvailable(setup);

  describe.skipIf(!ok)(`group limits on ${setup.name}`, () => {
    let env: ContactsEnv;
    let api: ContactsClient;
    const clock = manualClock();
    const user = () => newUser(env);

    beforeAll(async () => {
      env = await startContactsEnv(setup, { contacts: { maxGroupMembers: 3 } }, clock);
      api = env.api;
    });
    afterAll(() => env?.stop());

    it('refuses to grow a group past the configured maximum, however people come in', async () => {
      const [owner, a, b, c] = [await user(), await user(), await user(), await user()];
      for (const f of [a, b, c]) await befriend(api, owner, f);
      await expectReason(
        api.createGroup({ name: 'Big', memberIds: [a.id, b.id, c.id] }, owner.h),
        'GROUP_FULL',
      );
      const { group } = await api.createGroup({ name: 'Small', memberIds: [a.id, b.id] }, owner.h);
      expect(group).toMatchObject({ memberCount: 3, maxMembers: 3 });
      await expectReason(api.inviteToGroup({ groupId: group!.id, userIds: [c.id] }, owner.h), 'GROUP_FULL');
      const link = await api.createGroupInviteLink({ groupId: group!.id, ttlHours: 1 }, owner.h);
      await expectReason(api.joinGroupByInvite({ token: link.token }, c.h), 'GROUP_FULL');
      // A seat frees up: the link works again.
      await api.leaveGroup({ groupId: group!.id }, b.h);
      expect((await api.joinGroupByInvite({ token: link.token }, c.h)).group?.memberCount).toBe(3);
    });

    it('concurrent joins never overfill a group', async () => {
      const owner = await user();
      const { group } = await api.createGroup({ name: 'Race', memberIds: [] }, owner.h);
      const link = await api.createGroupInviteLink({ groupId: group!.id, ttlHours: 1 }, owner.h);
      const joiners = [await user(), await user(), await user(), await user()];
      const results = await Promise.allSettled(
        joiners.map((u) => api.joinGroupByInvite({ token: link.token }, u.h)),
      );
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(2);
      expect((await api.getGroup({ groupId: group!.id }, owner.h)).group?.memberCount).toBe(3);
    });

    it('an invite link stops working when it expires', async () => {
      const owner = await user();
      const { group } = await api.createGroup({ name: 'Brief', memberIds: [] }, owner.h);
      const link = await api.createGroupInviteLink({ groupId: group!.id, ttlHours: 1 }, owner.h);
      expect(Number(link.expiresAt!.seconds) * 1000).toBe(
        Math.floor((clock.now() + 3_600_000) / 1000) * 1000,
      );
      clock.advance(3_600_000 + 1);
      const late = await user(); // signed up after the jump, so their token is valid on this clock
      await expectReason(api.joinGroupByInvite({ token: link.token }, late.h), 'INVITE_INVALID');
      // Dissolving the group kills its links too.
      const fresh = await newUser(env);
      const link2 = await api.createGroupInviteLink(
        { groupId: group!.id, ttlHours: 1 },
        (await relogin(owner)).h,
      );
      await api.leaveGroup({ groupId: group!.id }, (await relogin(owner)).h);
      await expectReason(api.joinGroupByInvite({ token: link2.token }, fresh.h), 'INVITE_INVALID');
    });

    /** The owner signed up before the clock jumped: their access token is expired now. */
    async function relogin(u: { email: string }) {
      const { session } = await env.authApi.login({
        destination: { case: 'email', value: u.email },
        credential: { case: 'password', value: PASSWORD },
        device: device(),
      });
      return { h: bearer(session!.accessToken) };
    }
  });
}
