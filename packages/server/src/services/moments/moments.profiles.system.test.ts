import { moments } from '@mychat/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { touchCircles } from '../../contracts/circle-stamps.js';
import { connectAuthed, is } from '../../gateway/ws/ws.test-helpers.js';
import { expectReason } from '../../../test/helpers/auth-helpers.js';
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
 * Notices (live and listed) and a comment's answer name people from the same copies, and a
 * post's audience is checked against its author's kept circle (moments.circles.ts).
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

    /** Renames people behind auth's back: no profile stamp moves, so kept copies stay. */
    const renameBehind = (ids: string[]) =>
      env.server.app
        .value('sql')
        .db.updateTable('auth_users' as never)
        .set({ nickname: 'Behind' } as never)
        .where('id' as never, 'in', ids as never)
        .execute();

    it('notices and a comment answer name people as the reader keeps them', async () => {
      [ann, ben] = await people(env, 'Ann', 'Ben');
      await allFriends(env, ann, ben);
      const p = await publish(env, ann, { text: 'hello' });
      await fannedOut(env);
      await env.moments.getTimeline({ limit: 50 }, ben.h); // Ben now keeps Ann
      const first = await env.moments.commentMoment({ momentId: p.id, text: 'mine' }, ann.h);
      await env.moments.likeMoment({ momentId: p.id }, ben.h); // its notice: Ann now keeps Ben
      await renameBehind([ann.id, ben.id]);

      const as = await connectAuthed(env.server, tokenOf(ann));
      let reply: moments.CommentMomentResponse;
      try {
        reply = await env.moments.commentMoment(
          { momentId: p.id, text: 're', replyToCommentId: first.comment!.id },
          ben.h,
        );
        const live = (await as.next(is('momentNotice'), 5000)).frame.body.value as moments.MomentNoticeEvent;
        expect(live.notice?.kind).toBe(moments.NoticeKind.REPLY);
        expect(live.users.map((u) => u.nickname)).toEqual(['Ben']);
      } finally {
        as.ws.close();
      }
      expect(reply.users.find((u) => u.id === ann.id)?.nickname).toBe('Ann');
      const listed = await env.moments.listMomentNotices({}, ann.h);
      expect(listed.users.map((u) => u.nickname)).toEqual(['Ben']);

      await touchCircles(env.server.app.value('kv'), 'profile', [ben.id]);
      expect((await env.moments.listMomentNotices({}, ann.h)).users.map((u) => u.nickname)).toEqual([
        'Behind',
      ]);
    });

    it("a post's audience is checked against its author's kept circle", async () => {
      [ann, ben] = await people(env, 'Ann', 'Ben');
      await allFriends(env, ann, ben);
      await env.moments.getTimeline({ limit: 50 }, ann.h);
      // Unfriended behind contacts' back: no graph stamp moves, so Ann's kept circle stays.
      await env.server.app
        .value('sql')
        .db.deleteFrom('contacts_friends' as never)
        .where('user_id' as never, 'in', [ann.id, ben.id] as never)
        .execute();
      const only = { audience: moments.Audience.ONLY, userIds: [ben.id] };
      await publish(env, ann, { text: 'for Ben', visibility: only });
      await touchCircles(env.server.app.value('kv'), 'graph', [ann.id]);
      await expectReason(
        env.moments.publishMoment({ text: 'for Ben', visibility: only }, ann.h),
        'NOT_FRIENDS',
      );
    });
  });
}
