import { moments } from '@mychat/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { manualClock } from '../../kernel/clock.js';
import { expectReason } from '../../../test/helpers/auth-helpers.js';
import { setupAvailable, type TestUser } from '../../../test/helpers/contacts-helpers.js';
import {
  albumIds,
  allFriends,
  canOpen,
  fannedOut,
  feedIds,
  MOMENTS_SETUPS,
  people,
  publish,
  startMomentsEnv,
  type MomentsEnv,
} from './moments.test-helpers.js';

const { Audience: A, AlbumWindow: W, StrangerAccess: S } = moments;
const DAY = 86_400_000;

/**
 * Who sees which post, on every engine, decided again on every read: the four audiences,
 * "don't let them see", "don't show me", blocks, an unfriending after the post, the album
 * window and the stranger limit. The feed, the album page and GetMoment agree.
 */
for (const setup of MOMENTS_SETUPS) {
  const ok = await setupAvailable(setup);

  describe.skipIf(!ok)(`moments visibility on ${setup.name}`, () => {
    let env: MomentsEnv;
    const clock = manualClock();
    let ann: TestUser, ben: TestUser, cat: TestUser, dan: TestUser, eve: TestUser;
    let sam: TestUser, xia: TestUser, kim: TestUser;
    const ids = { friends: '', private: '', only: '', except: '' };

    beforeAll(async () => {
      env = await startMomentsEnv(setup, clock);
      [ann, ben, cat, dan, eve, sam, xia, kim] = await people(
        env,
        'Ann',
        'Ben',
        'Cat',
        'Dan',
        'Eve',
        'Sam',
        'Xia',
        'Kim',
      );
      for (const f of [ben, cat, dan, eve, xia, kim]) await allFriends(env, ann, f);
      const post = async (text: string, audience: number, userIds: string[] = []) =>
        (await publish(env, ann, { text, visibility: { audience, userIds } })).id;
      ids.friends = await post('to all friends', A.FRIENDS);
      ids.private = await post('only me', A.PRIVATE);
      ids.only = await post('only Ben and Cat', A.ONLY, [ben.id, cat.id]);
      ids.except = await post('all but Cat', A.EXCEPT, [cat.id]);
      await fannedOut(env);
    });
    afterAll(() => env?.stop());

    const mine = (list: string[]) => list.filter((id) => Object.values(ids).includes(id)).sort();
    const expected = (...keys: (keyof typeof ids)[]) => keys.map((k) => ids[k]).sort();

    it('shows each post to its audience only, in the feed, the album and by id', async () => {
      const cases: [TestUser, (keyof typeof ids)[]][] = [
        [ann, ['friends', 'private', 'only', 'except']],
        [ben, ['friends', 'only', 'except']],
        [cat, ['friends', 'only']],
        [dan, ['friends', 'except']],
      ];
      for (const [u, keys] of cases) {
        expect(mine(await feedIds(env, u)), u.nickname).toEqual(expected(...keys));
        expect(mine(await albumIds(env, u, ann)), u.nickname).toEqual(expected(...keys));
        for (const [k, id] of Object.entries(ids))
          expect(await canOpen(env, u, id), `${u.nickname} ${k}`).toBe(keys.includes(k as never));
      }
      // Only the author sees the audience itself.
      const own = await env.moments.getMoment({ momentId: ids.only }, ann.h);
      expect(own.moment!.visibility).toMatchObject({ audience: A.ONLY });
      expect(own.moment!.visibility!.userIds.sort()).toEqual([ben.id, cat.id].sort());
      const bens = await env.moments.getMoment({ momentId: ids.only }, ben.h);
      expect(bens.moment!.visibility).toBeUndefined();
      expect(bens.moment!.canInteract).toBe(true);
      expect(bens.users.find((u) => u.id === ann.id)?.nickname).toBe('Ann');
    });

    it('hides a post from someone the author hides from, at once and until undone (不让他看)', async () => {
      await env.moments.updateMomentSettings({ hideFromAdd: [dan.id] }, ann.h);
      expect(mine(await feedIds(env, dan))).toEqual([]);
      expect(await albumIds(env, dan, ann)).toEqual([]);
      expect(await canOpen(env, dan, ids.friends)).toBe(false);
      expect(mine(await feedIds(env, ben))).toEqual(expected('friends', 'only', 'except'));
      const settings = await env.moments.getMomentSettings({}, ann.h);
      expect(settings.settings!.hideFromUserIds).toEqual([dan.id]);
      await env.moments.updateMomentSettings({ hideFromRemove: [dan.id] }, ann.h);
      expect(mine(await feedIds(env, dan))).toEqual(expected('friends', 'except'));
    });

    it('keeps a muted author out of the feed but not off their album (不看他)', async () => {
      await env.moments.updateMomentSettings({ muteAdd: [ann.id] }, eve.h);
      expect(mine(await feedIds(env, eve))).toEqual([]);
      expect(mine(await albumIds(env, eve, ann))).toEqual(expected('friends', 'except'));
      expect(await canOpen(env, eve, ids.friends)).toBe(true);
      await env.moments.updateMomentSettings({ muteRemove: [ann.id] }, eve.h);
      expect(mine(await feedIds(env, eve))).toEqual(expected('friends', 'except'));
    });

    it('hides everything between people in a block relation, both ways', async () => {
      const kims = (await publish(env, kim, { text: 'from Kim' })).id;
      await fannedOut(env);
      expect(await feedIds(env, ann)).toContain(kims);
      await env.api.blockUser({ userId: ann.id }, kim.h);
      expect(mine(await feedIds(env, kim))).toEqual([]);
      expect(await albumIds(env, kim, ann)).toEqual([]);
      expect(await canOpen(env, kim, ids.friends)).toBe(false);
      expect(await feedIds(env, ann)).not.toContain(kims);
      expect(await canOpen(env, ann, kims)).toBe(false);
      const page = await env.moments.getAlbum({ userId: ann.id }, kim.h);
      expect(page.cover).toBeUndefined();
      await env.api.unblockUser({ userId: ann.id }, kim.h);
      expect(mine(await feedIds(env, kim))).toEqual(expected('friends', 'except'));
    });

    it('takes an unfriended person out at once: a stranger sees only the read-only album view', async () => {
      expect(mine(await feedIds(env, xia))).toEqual(expected('friends', 'except'));
      await env.api.deleteFriend({ userId: ann.id }, xia.h);
      expect(mine(await feedIds(env, xia))).toEqual([]);
      const album = await env.moments.getAlbum({ userId: ann.id }, xia.h);
      expect(album.strangerView).toBe(true);
      expect(album.moments.map((m) => m.id)).toEqual([ids.friends]);
      expect(album.moments[0]!.canInteract).toBe(false);
      await expectReason(env.moments.likeMoment({ momentId: ids.friends }, xia.h), 'NOT_FRIENDS');
      await expectReason(
        env.moments.commentMoment({ momentId: ids.friends, text: 'hi' }, xia.h),
        'NOT_FRIENDS',
      );
      await expectReason(env.moments.likeMoment({ momentId: ids.except }, xia.h), 'NOT_FOUND');
    });

    it('shows strangers at most the 10 newest posts shared with all friends, or none', async () => {
      const [fay] = await people(env, 'Fay');
      const posted: string[] = [];
      for (let i = 0; i < 12; i++) {
        clock.advance(1000);
        posted.push((await publish(env, fay!, { text: `post ${i}` })).id);
      }
      await publish(env, fay!, { text: 'private', visibility: { audience: A.PRIVATE } });
      const newest10 = posted.slice(2).reverse();
      expect(await albumIds(env, sam, fay!)).toEqual(newest10);
      const paged = await env.moments.getAlbum({ userId: fay!.id, limit: 4 }, sam.h);
      expect(paged.moments.map((m) => m.id)).toEqual(newest10.slice(0, 4));
      const rest = await env.moments.getAlbum(
        { userId: fay!.id, limit: 50, cursor: paged.nextCursor },
        sam.h,
      );
      expect(rest.moments.map((m) => m.id)).toEqual(newest10.slice(4));
      expect(await canOpen(env, sam, posted[0]!)).toBe(false);
      expect(await canOpen(env, sam, posted[11]!)).toBe(true);
      expect(await feedIds(env, sam)).toEqual([]);

      await env.moments.updateMomentSettings({ strangerAccess: S.NONE }, fay!.h);
      expect(await albumIds(env, sam, fay!)).toEqual([]);
      expect(await canOpen(env, sam, posted[11]!)).toBe(false);
      // Ann's album still shows Sam her one post shared with all friends.
      expect(await albumIds(env, sam, ann)).toEqual([ids.friends]);
    });

    it('applies the album window to friends (never to the author), and widening it brings posts back', async () => {
      await env.moments.updateMomentSettings({ albumWindow: W.THREE_DAYS }, ann.h);
      clock.advance(4 * DAY);
      const fresh = (await publish(env, ann, { text: 'fresh' })).id;
      await fannedOut(env);
      expect(await feedIds(env, ben)).toContain(fresh);
      expect(mine(await feedIds(env, ben))).toEqual([]);
      expect(await albumIds(env, ben, ann)).toEqual([fresh]);
      expect(await canOpen(env, ben, ids.friends)).toBe(false);
      expect(mine(await albumIds(env, ann, ann))).toEqual(expected('friends', 'private', 'only', 'except'));
      await env.moments.updateMomentSettings({ albumWindow: W.ONE_MONTH }, ann.h);
      expect(mine(await feedIds(env, ben))).toEqual(expected('friends', 'only', 'except'));
      expect((await env.moments.getMomentSettings({}, ann.h)).settings!.albumWindow).toBe(W.ONE_MONTH);
    });
  });
}
