import type { Client } from '@connectrpc/connect';
import { moments, search } from '@mychat/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectReason } from '../../../test/helpers/auth-helpers.js';
import {
  befriend,
  CONTACTS_SETUPS,
  newUser,
  setupAvailable,
  startContactsEnv,
  type ContactsEnv,
  type TestUser,
} from '../../../test/helpers/contacts-helpers.js';
import { eventually } from '../../../test/helpers/eventually.js';

/**
 * SearchMoments through the gateway: posts follow the moments feed into the index, and a
 * person finds exactly the posts GetMoment would show them, decided again at every search.
 */
for (const setup of CONTACTS_SETUPS.filter((s) => !s.fakeMessage)) {
  const ok = await setupAvailable(setup);

  describe.skipIf(!ok)(`moments search on ${setup.name}`, () => {
    let env: ContactsEnv;
    let api: Client<typeof search.SearchService>;
    let posts: Client<typeof moments.MomentsService>;
    let ann: TestUser, ben: TestUser, cat: TestUser, stranger: TestUser;
    const { Audience } = moments;
    const post = async (u: TestUser, text: string, audience = Audience.FRIENDS, userIds: string[] = []) =>
      (await posts.publishMoment({ text, visibility: { audience, userIds } }, u.h)).moment!.id;
    const find = (u: TestUser, query: string, extra: Partial<search.SearchMomentsRequest> = {}) =>
      api.searchMoments({ query, ...extra }, u.h);
    const ids = (r: search.SearchMomentsResponse) => r.hits.map((h) => h.momentId);
    /** Waits until the indexer has taken every post so far (a marker post of Ann's is found). */
    let n = 0;
    const settled = async () => {
      const marker = `marker${++n}x`;
      await post(ann, marker, Audience.PRIVATE);
      await eventually(
        () => find(ann, marker),
        (r) => r.hits.length === 1,
      );
    };

    beforeAll(async () => {
      env = await startContactsEnv(setup, { search: { pollIntervalMs: 20 } });
      api = env.server.client(search.SearchService);
      posts = env.server.client(moments.MomentsService);
      [ann, ben, cat, stranger] = [
        await newUser(env, 'Ann'),
        await newUser(env, 'Ben'),
        await newUser(env, 'Cat'),
        await newUser(env, 'Stranger'),
      ];
      await befriend(env.api, ann, ben);
      await befriend(env.api, ann, cat);
    });
    afterAll(() => env?.stop());

    it('finds friends’ posts in a sentence, Traditional as Simplified, each by its audience', async () => {
      const open = await post(ann, '周末去公园野餐，天气真好');
      const onlyBen = await post(ann, '只给本看的公园照片', Audience.ONLY, [ben.id]);
      const mine = await post(ben, '公园里的樱花开了');
      await settled();
      const forBen = await eventually(
        () => find(ben, '公园'),
        (r) => r.hits.length === 3,
      );
      expect(ids(forBen)).toEqual([mine, onlyBen, open]);
      const hit = forBen.hits[2]!;
      expect(hit).toMatchObject({ authorId: ann.id, snippet: '周末去公园野餐，天气真好' });
      expect(hit.snippet.slice(hit.highlights[0]!.start, hit.highlights[0]!.end)).toBe('公园');
      expect(ids(await find(ben, '公園'))).toEqual([mine, onlyBen, open]);
      // Cat is Ann's friend outside the "only" list, and not Ben's friend.
      expect(ids(await find(cat, '公园'))).toEqual([open]);
      // A stranger finds nothing, even a post open to all of Ann's friends.
      expect(ids(await find(stranger, '公园'))).toEqual([]);
      // Words by their start; a query part that does not match leaves nothing.
      expect(ids(await find(ben, '樱花 公园'))).toEqual([mine]);
      expect(ids(await find(ben, '公园 滑雪'))).toEqual([]);
      // Posts are not messages: a message search never answers one.
      expect((await api.searchMessages({ query: '公园' }, ben.h)).hits).toEqual([]);
    });

    it('hides a deleted post, a narrowed audience and an ended friendship at once', async () => {
      const gone = await post(ann, '要删除的山顶日出');
      const stays = await post(ann, '留下的山顶晚霞');
      await settled();
      expect((await find(cat, '山顶')).hits).toHaveLength(2);
      await posts.deleteMoment({ momentId: gone }, ann.h);
      expect(ids(await find(cat, '山顶'))).toEqual([stays]);
      // "Don't let them see": Ann hides her posts from Cat.
      await posts.updateMomentSettings({ hideFromAdd: [cat.id] }, ann.h);
      expect(ids(await find(cat, '山顶'))).toEqual([]);
      await posts.updateMomentSettings({ hideFromRemove: [cat.id] }, ann.h);
      expect(ids(await find(cat, '山顶'))).toEqual([stays]);
      await env.api.deleteFriend({ userId: cat.id }, ann.h);
      expect(ids(await find(cat, '山顶'))).toEqual([]);
    });

    it('pages with a token, newest first', async () => {
      const made: string[] = [];
      for (let i = 0; i < 5; i++) made.push(await post(ben, `翻页测试 page ${i}`));
      await settled();
      const p1 = await find(ann, 'page', { limit: 2 });
      expect(ids(p1)).toEqual([made[4], made[3]]);
      const p2 = await find(ann, 'page', { limit: 2, pageToken: p1.nextPageToken });
      expect(ids(p2)).toEqual([made[2], made[1]]);
      const p3 = await find(ann, 'page', { limit: 2, pageToken: p2.nextPageToken });
      expect(ids(p3)).toEqual([made[0]]);
      expect(p3.nextPageToken).toBe('');
    });

    it('refuses a blank or long query and a forged page token', async () => {
      await expectReason(find(ann, '  '), 'INVALID_ARGUMENT');
      await expectReason(find(ann, 'x'.repeat(101)), 'FIELD_TOO_LONG');
      await expectReason(find(ann, 'page', { pageToken: 'bm90LWEtdG9rZW4' }), 'INVALID_ARGUMENT');
      await expectReason(find(ann, 'page', { limit: 51 }), 'INVALID_ARGUMENT');
    });
  });
}
