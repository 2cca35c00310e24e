import { moments } from '@mychat/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { manualClock } from '../../kernel/clock.js';
import { MyChatClient } from '@mychat/sdk';
import { expectReason, PASSWORD } from '../../../test/helpers/auth-helpers.js';
import { setupAvailable, type TestUser } from '../../../test/helpers/contacts-helpers.js';
import {
  canOpen,
  fannedOut,
  feedIds,
  friendsWith,
  MOMENTS_SETUPS,
  people,
  publish,
  startMomentsEnv,
  type MomentsEnv,
} from './moments.test-helpers.js';

const { Audience: A } = moments;

/**
 * Friend tags (标签) in contacts, and moments shown to "only" or "all except" a tag: the tag's
 * members when posting join the list, a tag changed later leaves the post as it was.
 */
for (const setup of MOMENTS_SETUPS) {
  const ok = await setupAvailable(setup);

  describe.skipIf(!ok)(`friend tags and moment audiences on ${setup.name}`, () => {
    let env: MomentsEnv;
    let ann: TestUser, ben: TestUser, cat: TestUser, dan: TestUser, eve: TestUser;
    let family = '';

    beforeAll(async () => {
      env = await startMomentsEnv(setup, manualClock());
      [ann, ben, cat, dan, eve] = await people(env, 'Ann', 'Ben', 'Cat', 'Dan', 'Eve');
      await friendsWith(env, ann, ben, cat, dan);
      await friendsWith(env, eve, ben);
    });
    afterAll(() => env?.stop());

    it('keeps tags of friends: create, rename, add, remove, list by name; refuses bad input', async () => {
      const t = (await env.api.createFriendTag({ name: ' 家人 ', memberIds: [ben.id, cat.id] }, ann.h)).tag!;
      family = t.id;
      expect(t).toMatchObject({ name: '家人', memberIds: [ben.id, cat.id].sort() });
      const work = (await env.api.createFriendTag({ name: 'Work', memberIds: [] }, ann.h)).tag!;
      const renamed = await env.api.updateFriendTag(
        { tagId: work.id, name: 'Colleagues', addMemberIds: [dan.id] },
        ann.h,
      );
      expect(renamed.tag).toMatchObject({ name: 'Colleagues', memberIds: [dan.id] });
      const listed = (await env.api.listFriendTags({}, ann.h)).tags;
      expect(listed.map((x) => x.name)).toEqual(['Colleagues', '家人']);

      await expectReason(env.api.createFriendTag({ name: 'x', memberIds: [eve.id] }, ann.h), 'NOT_FRIENDS');
      await expectReason(env.api.createFriendTag({ name: '家人', memberIds: [] }, ann.h), 'INVALID_ARGUMENT');
      await expectReason(env.api.createFriendTag({ name: '  ', memberIds: [] }, ann.h), 'INVALID_ARGUMENT');
      await expectReason(
        env.api.createFriendTag({ name: 'x'.repeat(21), memberIds: [] }, ann.h),
        'FIELD_TOO_LONG',
      );
      await expectReason(
        env.api.updateFriendTag({ tagId: work.id, name: '家人' }, ann.h),
        'INVALID_ARGUMENT',
      );
      await expectReason(
        env.api.updateFriendTag({ tagId: work.id, addMemberIds: [eve.id] }, ann.h),
        'NOT_FRIENDS',
      );
      // Someone else's tag is no tag at all.
      await expectReason(env.api.updateFriendTag({ tagId: family, name: 'mine' }, eve.h), 'NOT_FOUND');
      await expectReason(env.api.deleteFriendTag({ tagId: family }, eve.h), 'NOT_FOUND');
      expect((await env.api.listFriendTags({}, eve.h)).tags).toEqual([]);

      await env.api.updateFriendTag({ tagId: work.id, removeMemberIds: [dan.id] }, ann.h);
      await env.api.deleteFriendTag({ tagId: work.id }, ann.h);
      expect((await env.api.listFriendTags({}, ann.h)).tags.map((x) => x.id)).toEqual([family]);
      await expectReason(env.api.deleteFriendTag({ tagId: work.id }, ann.h), 'NOT_FOUND');
    });

    it('shows a post "only to 家人" to the tag’s members as they were when posting', async () => {
      const only = await publish(env, ann, {
        text: 'for family',
        visibility: { audience: A.ONLY, tagIds: [family] },
      });
      const except = await publish(env, ann, {
        text: 'not for family',
        visibility: { audience: A.EXCEPT, tagIds: [family] },
      });
      // The author sees which tags chose the audience, and who was in them.
      expect(only.visibility).toMatchObject({ tagIds: [family], userIds: [ben.id, cat.id].sort() });
      await fannedOut(env);
      expect(await canOpen(env, ben, only.id)).toBe(true);
      expect(await canOpen(env, cat, only.id)).toBe(true);
      expect(await canOpen(env, dan, only.id)).toBe(false);
      expect(await canOpen(env, ben, except.id)).toBe(false);
      expect(await canOpen(env, dan, except.id)).toBe(true);
      expect(await feedIds(env, dan)).toContain(except.id);
      expect(await feedIds(env, dan)).not.toContain(only.id);

      // Dan joins the tag afterwards: the post stays as it was posted.
      await env.api.updateFriendTag({ tagId: family, addMemberIds: [dan.id] }, ann.h);
      expect(await canOpen(env, dan, only.id)).toBe(false);
      expect(await canOpen(env, dan, except.id)).toBe(true);
    });

    it('refuses tags of someone else, unknown tags and tags with a non-list audience', async () => {
      const eves = (await env.api.createFriendTag({ name: 'Eve’s', memberIds: [ben.id] }, eve.h)).tag!;
      await expectReason(
        env.moments.publishMoment({ text: 'x', visibility: { audience: A.ONLY, tagIds: [eves.id] } }, ann.h),
        'INVALID_ARGUMENT',
      );
      await expectReason(
        env.moments.publishMoment(
          { text: 'x', visibility: { audience: A.FRIENDS, tagIds: [family] } },
          ann.h,
        ),
        'INVALID_ARGUMENT',
      );
      const empty = (await env.api.createFriendTag({ name: 'Empty', memberIds: [] }, ann.h)).tag!;
      await expectReason(
        env.moments.publishMoment({ text: 'x', visibility: { audience: A.ONLY, tagIds: [empty.id] } }, ann.h),
        'INVALID_ARGUMENT',
      );
      const many = Array.from({ length: 21 }, () => family);
      await expectReason(
        env.moments.publishMoment({ text: 'x', visibility: { audience: A.ONLY, tagIds: many } }, ann.h),
        'INVALID_ARGUMENT',
      );
    });

    it('lists only members who are still friends', async () => {
      await env.api.deleteFriend({ userId: cat.id }, ann.h);
      const [t] = (await env.api.listFriendTags({}, ann.h)).tags.filter((x) => x.id === family);
      expect(t!.memberIds).toEqual([ben.id, dan.id].sort());
    });

    it('works through the SDK: contacts.tags and moments.publish({ tagIds })', async () => {
      const client = new MyChatClient({
        baseUrl: env.server.baseUrl,
        device: { clientType: 'pc', deviceId: 'sdk-tags', name: 'SDK' },
      });
      await client.auth.login({ to: { email: ann.email }, password: PASSWORD });
      const tag = await client.contacts.createTag('Hikers', [ben.id]);
      expect(tag).toMatchObject({ name: 'Hikers', memberIds: [ben.id] });
      const renamed = await client.contacts.updateTag(tag.id, {
        name: '驴友',
        add: [dan.id],
        remove: [ben.id],
      });
      expect(renamed).toMatchObject({ name: '驴友', memberIds: [dan.id] });
      expect((await client.contacts.tags()).map((t) => t.name)).toContain('驴友');
      const { moment } = await client.moments.publish({ text: 'trail', audience: 'only', tagIds: [tag.id] });
      expect(moment.visibility).toEqual({ audience: 'only', userIds: [dan.id], tagIds: [tag.id] });
      await client.contacts.deleteTag(tag.id);
      expect((await client.contacts.tags()).map((t) => t.id)).not.toContain(tag.id);
      client.close();
    });
  });
}
