import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { touchCircles } from '../../contracts/circle-stamps.js';
import { setupAvailable, type TestUser } from '../../../test/helpers/contacts-helpers.js';
import { noisyPng } from '../../../test/helpers/media-fixtures.js';
import { uploadOk } from '../../../test/helpers/media-helpers.js';
import {
  allFriends,
  fannedOut,
  MOMENTS_SETUPS,
  people,
  publish,
  startMomentsEnv,
  tokenOf,
  type MomentsEnv,
} from './moments.test-helpers.js';

/**
 * The profiles a feed names, kept between reads (moments.profiles.ts): a new nickname or
 * picture, and a remark the viewer gives, are in the next read, on every engine; and the copy
 * really is kept (a nickname changed behind auth's back shows only once the stamp moves).
 */
for (const setup of MOMENTS_SETUPS) {
  const ok = await setupAvailable(setup);

  describe.skipIf(!ok)(`moments profile cache on ${setup.name}`, () => {
    let env: MomentsEnv;
    let ann: TestUser, ben: TestUser;

    beforeAll(async () => {
      env = await startMomentsEnv(setup);
    });
    afterAll(() => env?.stop());

    /** Ann and Ben friends; Ann posts; Ben's feed read (Ann's profile is now kept) names her. */
    async function posted(): Promise<void> {
      [ann, ben] = await people(env, 'Ann', 'Ben');
      await allFriends(env, ann, ben);
      await publish(env, ann, { text: 'hello' });
      await fannedOut(env);
      expect(await annAsBenSees()).toMatchObject({ nickname: 'Ann', remark: '' });
    }

    async function annAsBenSees() {
      const r = await env.moments.getTimeline({ limit: 50 }, ben.h);
      const u = r.users.find((x) => x.id === ann.id)!;
      return { nickname: u.nickname, avatarUrl: u.avatarUrl, remark: u.remark };
    }

    it('a new nickname and a new picture are in the next read', async () => {
      await posted();
      await env.authApi.updateProfile({ nickname: 'Annie' }, ann.h);
      expect(await annAsBenSees()).toMatchObject({ nickname: 'Annie' });
      const png = await noisyPng(48, 48);
      const media = await uploadOk(env.server.baseUrl, tokenOf(ann), 'image', png, 'a.png');
      const { user } = await env.authApi.setAvatar({ mediaId: media.id }, ann.h);
      expect(user!.avatarUrl).not.toBe('');
      expect(await annAsBenSees()).toMatchObject({ avatarUrl: user!.avatarUrl });
    });

    it("the viewer's remark is in the next read", async () => {
      await posted();
      await env.api.setRemark({ userId: ann.id, remark: 'my sister' }, ben.h);
      expect(await annAsBenSees()).toMatchObject({ nickname: 'Ann', remark: 'my sister' });
    });

    it('keeps the profile between reads until a stamp moves', async () => {
      await posted();
      await env.server.app
        .value('sql')
        .db.updateTable('auth_users' as never)
        .set({ nickname: 'Behind' } as never)
        .where('id' as never, '=', ann.id as never)
        .execute();
      expect(await annAsBenSees()).toMatchObject({ nickname: 'Ann' });
      await touchCircles(env.server.app.value('kv'), 'profile', [ann.id]);
      expect(await annAsBenSees()).toMatchObject({ nickname: 'Behind' });
    });
  });
}
