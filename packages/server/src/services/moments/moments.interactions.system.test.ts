import { moments } from '@mychat/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectReason } from '../../../test/helpers/auth-helpers.js';
import type { TestUser } from '../../../test/helpers/contacts-helpers.js';
import {
  allFriends,
  friendsWith,
  MOMENTS_SETUPS,
  people,
  publish,
  startMomentsEnv,
  type MomentsEnv,
} from './moments.test-helpers.js';

const { NoticeKind: N } = moments;

/**
 * Likes, comments and replies under WeChat's rule, notices (kinds, unread count, what deleting
 * takes with it), and who may delete what.
 */
describe('moments likes, comments and notices', () => {
  let env: MomentsEnv;
  beforeAll(async () => {
    env = await startMomentsEnv(MOMENTS_SETUPS[0]!);
  });
  afterAll(() => env?.stop());

  const view = async (u: TestUser, id: string) =>
    (await env.moments.getMoment({ momentId: id }, u.h)).moment!;
  const commentsSeen = async (u: TestUser, id: string) => (await view(u, id)).comments.map((c) => c.text);

  it("shows a like or comment only when its author is the viewer, the post's author or the viewer's friend", async () => {
    // Ann posts; Ben and Cat are Ann's friends but not each other's; Dan is everyone's friend.
    const [ann, ben, cat, dan] = await people(env, 'Ann', 'Ben', 'Cat', 'Dan');
    await friendsWith(env, ann, ben, cat);
    await friendsWith(env, dan, ann, ben, cat);
    const p = await publish(env, ann, { text: 'sunset' });
    const cats = (await env.moments.commentMoment({ momentId: p.id, text: 'lovely' }, cat.h)).comment!;
    const reply = await env.moments.commentMoment(
      { momentId: p.id, text: 'thanks Cat', replyToCommentId: cats.id },
      ann.h,
    );
    expect(reply.comment).toMatchObject({ replyToCommentId: cats.id, replyToUserId: cat.id });
    await env.moments.commentMoment({ momentId: p.id, text: 'wow' }, ben.h);
    await env.moments.likeMoment({ momentId: p.id }, ben.h);
    await env.moments.likeMoment({ momentId: p.id }, cat.h);

    // Ben sees Ann's reply to Cat, not Cat's comment nor Cat's like.
    expect(await commentsSeen(ben, p.id)).toEqual(['thanks Cat', 'wow']);
    const bens = await env.moments.getMoment({ momentId: p.id }, ben.h);
    expect(bens.moment!.likes.map((l) => l.userId)).toEqual([ben.id]);
    expect(bens.moment!.likedByMe).toBe(true);
    // The reply names Cat: Ben's answer carries Cat's card so "Ann 回复 Cat" can be shown.
    expect(bens.users.map((u) => u.id).sort()).toEqual([ann.id, ben.id, cat.id].sort());
    expect(await commentsSeen(cat, p.id)).toEqual(['lovely', 'thanks Cat']);
    expect(await commentsSeen(ann, p.id)).toEqual(['lovely', 'thanks Cat', 'wow']);
    expect(await commentsSeen(dan, p.id)).toEqual(['lovely', 'thanks Cat', 'wow']);
    expect((await view(ann, p.id)).likes.map((l) => l.userId)).toEqual([ben.id, cat.id]);
    // The feed applies the same rule.
    const feed = await env.moments.getTimeline({}, ben.h);
    expect(feed.moments.find((m) => m.id === p.id)!.comments.map((c) => c.text)).toEqual([
      'thanks Cat',
      'wow',
    ]);

    // Ben cannot reply to a comment he cannot see; nor name one of another post.
    await expectReason(
      env.moments.commentMoment({ momentId: p.id, text: 'x', replyToCommentId: cats.id }, ben.h),
      'NOT_FOUND',
    );
    const other = await publish(env, ann, { text: 'other' });
    await expectReason(
      env.moments.commentMoment(
        { momentId: other.id, text: 'x', replyToCommentId: reply.comment!.id },
        ben.h,
      ),
      'NOT_FOUND',
    );
    // Once Ben and Cat become friends, Cat's comment shows up for Ben at once.
    await allFriends(env, ben, cat);
    expect(await commentsSeen(ben, p.id)).toEqual(['lovely', 'thanks Cat', 'wow']);
  });

  it('sends notices to the author, the person replied to and the people reminded, with an unread count', async () => {
    const [ann, ben, cat] = await people(env, 'Ann', 'Ben', 'Cat');
    await allFriends(env, ann, ben, cat);
    const p = await publish(env, ann, { text: 'party', mentionUserIds: [cat.id] });
    await env.moments.likeMoment({ momentId: p.id }, ben.h);
    const bc = (await env.moments.commentMoment({ momentId: p.id, text: 'count me in' }, ben.h)).comment!;
    await env.moments.commentMoment({ momentId: p.id, text: 'great', replyToCommentId: bc.id }, ann.h);
    await env.moments.commentMoment({ momentId: p.id, text: 'me too', replyToCommentId: bc.id }, cat.h);
    await env.moments.likeMoment({ momentId: p.id }, ann.h); // one's own like: no notice

    const anns = await env.moments.listMomentNotices({}, ann.h);
    expect(anns.notices.map((n) => [n.kind, n.actorId, n.text])).toEqual([
      [N.COMMENT, cat.id, 'me too'],
      [N.COMMENT, ben.id, 'count me in'],
      [N.LIKE, ben.id, ''],
    ]);
    expect(anns.unreadCount).toBe(3);
    expect(anns.notices.every((n) => n.unread && n.momentId === p.id && n.momentText === 'party')).toBe(true);
    expect(anns.users.map((u) => u.id).sort()).toEqual([ben.id, cat.id].sort());
    const bens = await env.moments.listMomentNotices({}, ben.h);
    expect(bens.notices.map((n) => [n.kind, n.actorId])).toEqual([
      [N.REPLY, cat.id],
      [N.REPLY, ann.id],
    ]);
    const cats = await env.moments.listMomentNotices({}, cat.h);
    expect(cats.notices.map((n) => [n.kind, n.actorId])).toEqual([[N.MENTION, ann.id]]);
    expect((await view(cat, p.id)).mentionUserIds).toEqual([cat.id]);
    expect((await view(ben, p.id)).mentionUserIds).toEqual([]);

    // Marking read: the answer still counts them; the next one does not.
    const paged = await env.moments.listMomentNotices({ limit: 2, markRead: true }, ann.h);
    expect(paged.notices).toHaveLength(2);
    expect(paged.unreadCount).toBe(3);
    const rest = await env.moments.listMomentNotices({ cursor: paged.nextCursor }, ann.h);
    expect(rest.notices.map((n) => [n.kind, n.unread])).toEqual([[N.LIKE, false]]);
    expect(rest.unreadCount).toBe(0);

    // Taking a like back removes its notice; so does deleting a comment.
    await env.moments.unlikeMoment({ momentId: p.id }, ben.h);
    await env.moments.unlikeMoment({ momentId: p.id }, ben.h); // again: nothing happens
    await env.moments.deleteComment({ commentId: bc.id }, ben.h);
    const after = await env.moments.listMomentNotices({}, ann.h);
    expect(after.notices.map((n) => [n.kind, n.actorId])).toEqual([[N.COMMENT, cat.id]]);
    expect((await view(ann, p.id)).comments.map((c) => c.text)).toEqual(['great', 'me too']);
  });

  it('lets the author delete any comment on their post, others only their own, and a post take everything with it', async () => {
    const [ann, ben, cat] = await people(env, 'Ann', 'Ben', 'Cat');
    await allFriends(env, ann, ben, cat);
    const p = await publish(env, ann, { text: 'x' });
    const b1 = (await env.moments.commentMoment({ momentId: p.id, text: 'b1' }, ben.h)).comment!;
    const b2 = (await env.moments.commentMoment({ momentId: p.id, text: 'b2' }, ben.h)).comment!;
    await expectReason(env.moments.deleteComment({ commentId: b1.id }, cat.h), 'NOT_FOUND');
    await env.moments.deleteComment({ commentId: b1.id }, ann.h);
    await expectReason(env.moments.deleteComment({ commentId: b1.id }, ben.h), 'NOT_FOUND');
    await env.moments.likeMoment({ momentId: p.id }, cat.h);
    await expectReason(env.moments.deleteMoment({ momentId: p.id }, ben.h), 'NOT_FOUND');

    await env.moments.deleteMoment({ momentId: p.id }, ann.h);
    await expectReason(env.moments.getMoment({ momentId: p.id }, ann.h), 'NOT_FOUND');
    await expectReason(env.moments.deleteComment({ commentId: b2.id }, ben.h), 'NOT_FOUND');
    expect((await env.moments.listMomentNotices({}, ann.h)).notices).toEqual([]);
    expect((await env.moments.getTimeline({}, ben.h)).moments.map((m) => m.id)).not.toContain(p.id);
    const db = env.store.db;
    for (const table of [
      'moments_likes',
      'moments_comments',
      'moments_notices',
      'moments_timeline',
    ] as const) {
      const rows = await db.selectFrom(table).selectAll().where('moment_id', '=', p.id).execute();
      expect(rows, table).toEqual([]);
    }
  });

  it('refuses a second like, a stranger, a post one cannot see, too long or empty comments and a full post', async () => {
    const [ann, ben, sam] = await people(env, 'Ann', 'Ben', 'Sam');
    await allFriends(env, ann, ben);
    const p = await publish(env, ann, { text: 'x' });
    const hidden = await publish(env, ann, { text: 'y', visibility: { audience: moments.Audience.PRIVATE } });
    await env.moments.likeMoment({ momentId: p.id }, ben.h);
    await expectReason(env.moments.likeMoment({ momentId: p.id }, ben.h), 'MOMENT_ALREADY_LIKED');
    await expectReason(env.moments.likeMoment({ momentId: p.id }, sam.h), 'NOT_FRIENDS');
    for (const call of [
      env.moments.likeMoment({ momentId: hidden.id }, ben.h),
      env.moments.unlikeMoment({ momentId: hidden.id }, ben.h),
      env.moments.commentMoment({ momentId: hidden.id, text: 'hi' }, ben.h),
      env.moments.likeMoment({ momentId: '123456789' }, ben.h),
    ])
      await expectReason(call, 'NOT_FOUND');
    const long = await expectReason(
      env.moments.commentMoment({ momentId: p.id, text: 'x'.repeat(10_000) }, ben.h),
      'FIELD_TOO_LONG',
    );
    expect(long.message).toMatch(/1000/);
    await expectReason(
      env.moments.commentMoment({ momentId: p.id, text: '  \n ' }, ben.h),
      'INVALID_ARGUMENT',
    );
    await expectReason(
      env.moments.commentMoment({ momentId: p.id, text: 'a\u202Eb' }, ben.h),
      'INVALID_ARGUMENT',
    );
    await expectReason(env.moments.commentMoment({ momentId: 'abc', text: 'hi' }, ben.h), 'INVALID_ARGUMENT');
    expect((await env.moments.getMoment({ momentId: p.id }, ann.h)).moment!.comments).toEqual([]);

    // A post takes at most 1 000 comments (the first 1 000 are written straight to the table).
    await env.store.transaction(async (tx) => {
      for (let i = 0; i < 1000; i++)
        await tx.social.addComment({
          id: String(9_000_000_000_000 + i),
          momentId: p.id,
          authorId: ben.id,
          replyToCommentId: null,
          replyToUserId: null,
          text: `c${i}`,
          createdAt: Date.now(),
        });
    });
    await expectReason(
      env.moments.commentMoment({ momentId: p.id, text: 'one more' }, ben.h),
      'MOMENT_TOO_MANY_COMMENTS',
    );
  });
});
