import { contacts } from '@mychat/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectReason } from '../../../test/helpers/auth-helpers.js';
import {
  befriend,
  CONTACTS_SETUPS,
  newUser,
  setupAvailable,
  startContactsEnv,
  type ContactsEnv,
} from '../../../test/helpers/contacts-helpers.js';

/**
 * ContactsInternalService for the moments service: a person's friends with when each
 * friendship began (block relations left out), which of some people are in a block relation
 * with them, and profiles with the viewer's remarks. Every engine.
 */
for (const setup of CONTACTS_SETUPS.filter((s) => !s.fakeMessage)) {
  const ok = await setupAvailable(setup);

  describe.skipIf(!ok)(`the friend graph on ${setup.name}`, () => {
    let env: ContactsEnv;
    beforeAll(async () => {
      env = await startContactsEnv(setup);
    });
    afterAll(() => env?.stop());

    it('lists friends with their start, leaves block relations out, and names blocks among people asked about', async () => {
      const api = env.api;
      const [a, b, c, d, e] = await Promise.all(
        ['Ann', 'Ben', 'Cat', 'Dan', 'Eve'].map((n) => newUser(env, n)),
      );
      const before = Date.now();
      await befriend(api, a, b);
      await befriend(api, a, c);
      await befriend(api, a, d);
      await api.blockUser({ userId: a.id }, c.h); // c blocks a: both sides lose the edge
      await api.blockUser({ userId: e.id }, a.h); // a blocks a stranger
      const internal = env.server.app.value('rpc').client(contacts.ContactsInternalService);

      const g = await internal.getFriendGraph({ userId: a.id, checkUserIds: [b.id, c.id, e.id] });
      expect(g.friends.map((f) => f.userId).sort()).toEqual([b.id, d.id].sort());
      for (const f of g.friends) {
        expect(f.sinceMs).toBeGreaterThanOrEqual(before - 1000);
        expect(f.sinceMs).toBeLessThanOrEqual(Date.now() + 1000);
      }
      expect(g.blockedUserIds.sort()).toEqual([c.id, e.id].sort());
      const ofC = await internal.getFriendGraph({ userId: c.id, checkUserIds: [a.id] });
      expect(ofC.friends).toEqual([]);
      expect(ofC.blockedUserIds).toEqual([a.id]);

      await api.setRemark({ userId: b.id, remark: 'Benny' }, a.h);
      const seen = await internal.lookupUsers({ viewerId: a.id, userIds: [b.id, e.id, '999999999', b.id] });
      expect(seen.users.map((u) => [u.user!.id, u.user!.nickname, u.remark])).toEqual([
        [b.id, 'Ben', 'Benny'],
        [e.id, 'Eve', ''],
      ]);
      // The remark is a's own: nobody else sees it.
      const byD = await internal.lookupUsers({ viewerId: d.id, userIds: [b.id] });
      expect(byD.users[0]!.remark).toBe('');
      // One person asked about (the statements compiled once): the same answers, one after another.
      const one = async (viewerId: string, id: string) =>
        (await internal.lookupUsers({ viewerId, userIds: [id] })).users.map((u) => [
          u.user!.id,
          u.user!.nickname,
          u.remark,
        ]);
      expect(await one(a.id, b.id)).toEqual([[b.id, 'Ben', 'Benny']]);
      expect(await one(a.id, e.id)).toEqual([[e.id, 'Eve', '']]);
      expect(await one(d.id, b.id)).toEqual([[b.id, 'Ben', '']]);
      expect(await one(a.id, '999999999')).toEqual([]);
    });

    it('refuses bad ids and too many at once', async () => {
      const internal = env.server.app.value('rpc').client(contacts.ContactsInternalService);
      await expectReason(internal.getFriendGraph({ userId: 'x', checkUserIds: [] }), 'INVALID_ARGUMENT');
      await expectReason(
        internal.getFriendGraph({
          userId: '1',
          checkUserIds: Array.from({ length: 1001 }, (_, i) => `${i + 1}`),
        }),
        'INVALID_ARGUMENT',
      );
      await expectReason(internal.lookupUsers({ viewerId: '1', userIds: ['01'] }), 'INVALID_ARGUMENT');
    });
  });
}
