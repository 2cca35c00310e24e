import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setupAvailable, type TestUser } from '../../../test/helpers/contacts-helpers.js';
import {
  allFriends,
  fannedOut,
  MOMENTS_SETUPS,
  people,
  publish,
  startMomentsEnv,
  type MomentsEnv,
} from './moments.test-helpers.js';

/**
 * The feed with each post's likes and comments kept between reads (moments.post-parts.ts):
 * every like, unlike, comment and comment deletion made after a read is in the next read, a
 * liker or commenter the viewer is no longer friends with drops out at once, and the copy
 * really is kept (a like removed behind the service's back shows until the version moves).
 */
for (const setup of MOMENTS_SETUPS) {
  const ok = await setupAvailable(setup);

  describe.skipIf(!ok)(`moments post cache on ${setup.name}`, () => {
    let env: MomentsEnv;
    let ann: TestUser, ben: TestUser, cat: TestUser;

    beforeAll(async () => {
      env = await startMomentsEnv(setup);
    });
    afterAll(() => env?.stop());

    /** Ann, Ben and Cat all friends; Ann posts; Ben's feed read (the post is now kept) shows it. */
    async function posted(text: string): Promise<string> {
      [ann, ben, cat] = await people(env, 'Ann', 'Ben', 'Cat');
      await allFriends(env, ann, ben, cat);
      const id = (await publish(env, ann, { text })).id;
      await fannedOut(env);
      expect(await seenBy(ben)).toEqual([{ id, likers: [], comments: [] }]);
      return id;
    }

    async function seenBy(u: TestUser) {
      const r = await env.moments.getTimeline({ limit: 50 }, u.h);
      return r.moments.map((m) => ({
        id: m.id,
        likers: m.likes.map((l) => l.userId),
        comments: m.comments.map((c) => c.text),
      }));
    }

    it('likes and comments made after a read are in the next read, and so are their removals', async () => {
      const id = await posted('for likes');
      await env.moments.likeMoment({ momentId: id }, cat.h);
      expect(await seenBy(ben)).toEqual([{ id, likers: [cat.id], comments: [] }]);
      const c = await env.moments.commentMoment({ momentId: id, text: 'hello' }, cat.h);
      expect(await seenBy(ben)).toEqual([{ id, likers: [cat.id], comments: ['hello'] }]);
      await env.moments.unlikeMoment({ momentId: id }, cat.h);
      expect(await seenBy(ben)).toEqual([{ id, likers: [], comments: ['hello'] }]);
      await env.moments.deleteComment({ commentId: c.comment!.id }, cat.h);
      expect(await seenBy(ben)).toEqual([{ id, likers: [], comments: [] }]);
      const again = await env.moments.getMoment({ momentId: id }, ben.h);
      expect(again.moment!.likes).toEqual([]);
    });

    it("a kept post's likes and comments still follow the viewer's friendships", async () => {
      const id = await posted('for the rule');
      await env.moments.likeMoment({ momentId: id }, cat.h);
      await env.moments.commentMoment({ momentId: id, text: 'from cat' }, cat.h);
      expect(await seenBy(ben)).toEqual([{ id, likers: [cat.id], comments: ['from cat'] }]);
      // Ben and Cat part: Cat's like and comment are hidden from Ben (not from Ann, the author).
      await env.api.deleteFriend({ userId: cat.id }, ben.h);
      expect(await seenBy(ben)).toEqual([{ id, likers: [], comments: [] }]);
      expect(await seenBy(ann)).toEqual([{ id, likers: [cat.id], comments: ['from cat'] }]);
    });

    it('a deleted post is gone from the next read of a feed that kept it', async () => {
      const id = await posted('to be deleted');
      await env.moments.likeMoment({ momentId: id }, cat.h);
      expect(await seenBy(ben)).toEqual([{ id, likers: [cat.id], comments: [] }]);
      await env.moments.deleteMoment({ momentId: id }, ann.h);
      expect(await seenBy(ben)).toEqual([]);
      expect(await seenBy(cat)).toEqual([]);
    });

    it('keeps the likes between reads until the version moves', async () => {
      const id = await posted('behind the back');
      await env.moments.likeMoment({ momentId: id }, cat.h);
      expect(await seenBy(ben)).toEqual([{ id, likers: [cat.id], comments: [] }]);
      const before = (await env.store.posts.get(id))!.version;
      const sql = env.server.app.value('sql');
      await sql.db
        .deleteFrom('moments_likes' as never)
        .where('moment_id' as never, '=', id as never)
        .execute();
      // Nothing moved the version: the copy read before is still used.
      expect(await seenBy(ben)).toEqual([{ id, likers: [cat.id], comments: [] }]);
      await env.store.posts.bump(id);
      expect((await env.store.posts.get(id))!.version).toBe(before + 1);
      expect(await seenBy(ben)).toEqual([{ id, likers: [], comments: [] }]);
    });
  });
}
