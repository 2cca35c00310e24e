import { moments } from '@mychat/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectReason } from '../../../test/helpers/auth-helpers.js';
import { touchCircles } from '../../contracts/circle-stamps.js';
import { befriend, setupAvailable, type TestUser } from '../../../test/helpers/contacts-helpers.js';
import {
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

const { Audience: A } = moments;

/**
 * The feed with each viewer's circle kept between reads: every change that narrows what a
 * viewer may see, made after their feed was read (so a copy is held), hides the post from
 * the next read, on every engine. And the copy really is kept: a friendship removed behind
 * the services' backs (no stamp moved) still shows until a stamp moves.
 */
for (const setup of MOMENTS_SETUPS) {
  const ok = await setupAvailable(setup);

  describe.skipIf(!ok)(`moments circle cache on ${setup.name}`, () => {
    let env: MomentsEnv;
    let ann: TestUser, ben: TestUser;

    beforeAll(async () => {
      env = await startMomentsEnv(setup);
    });
    afterAll(() => env?.stop());

    /** Ann and Ben friends; Ann posts; Ben's feed read (his circle is now held) shows it. */
    async function posted(text: string, audience: number = A.FRIENDS): Promise<string> {
      [ann, ben] = await people(env, 'Ann', 'Ben');
      await allFriends(env, ann, ben);
      const id = (await publish(env, ann, { text, visibility: { audience } })).id;
      await fannedOut(env);
      expect(await feedIds(env, ben)).toEqual([id]);
      return id;
    }

    it('unfriending hides the post from the next read, and befriending again shows it', async () => {
      const id = await posted('before the unfriending');
      await env.api.deleteFriend({ userId: ben.id }, ann.h);
      expect(await feedIds(env, ben)).toEqual([]);
      await befriend(env.api, ben, ann);
      expect(await feedIds(env, ben)).toEqual([id]);
    });

    it('a block by either side hides the post from the next read', async () => {
      const id = await posted('before the block');
      expect(await canOpen(env, ben, id)).toBe(true);
      await env.api.blockUser({ userId: ben.id }, ann.h);
      expect(await feedIds(env, ben)).toEqual([]);
      expect(await canOpen(env, ben, id)).toBe(false);
      await expectReason(env.moments.likeMoment({ momentId: id }, ben.h), 'NOT_FOUND');
      await env.api.unblockUser({ userId: ben.id }, ann.h);
      expect(await feedIds(env, ben)).toEqual([id]);
      await env.api.blockUser({ userId: ann.id }, ben.h);
      expect(await feedIds(env, ben)).toEqual([]);
      expect(await feedIds(env, ann)).toEqual([id]);
    });

    it('hiding from the viewer, and the viewer muting, take effect on the next read', async () => {
      const id = await posted('before the filters');
      await env.moments.updateMomentSettings({ hideFromAdd: [ben.id] }, ann.h);
      expect(await feedIds(env, ben)).toEqual([]);
      await env.moments.updateMomentSettings({ hideFromRemove: [ben.id] }, ann.h);
      expect(await feedIds(env, ben)).toEqual([id]);
      await env.moments.updateMomentSettings({ muteAdd: [ann.id] }, ben.h);
      expect(await feedIds(env, ben)).toEqual([]);
      await env.moments.updateMomentSettings({ muteRemove: [ann.id] }, ben.h);
      expect(await feedIds(env, ben)).toEqual([id]);
    });

    it('a deleted post is gone from the next read', async () => {
      const id = await posted('to be deleted');
      await env.moments.deleteMoment({ momentId: id }, ann.h);
      expect(await feedIds(env, ben)).toEqual([]);
      expect(await canOpen(env, ben, id)).toBe(false);
    });

    it('keeps the circle between reads until a stamp moves', async () => {
      const id = await posted('behind the back');
      const sql = env.server.app.value('sql');
      await sql.db
        .deleteFrom('contacts_friends' as never)
        .where('user_id' as never, '=', ben.id as never)
        .execute();
      // Nothing told the caches: the copy read before is still used.
      expect(await feedIds(env, ben)).toEqual([id]);
      await touchCircles(env.server.app.value('kv'), 'graph', [ben.id]);
      expect(await feedIds(env, ben)).toEqual([]);
    });
  });
}
