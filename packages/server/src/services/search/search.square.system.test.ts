import type { Client } from '@connectrpc/connect';
import { search, square } from '@mychat/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectReason } from '../../../test/helpers/auth-helpers.js';
import { setupAvailable, type TestUser } from '../../../test/helpers/contacts-helpers.js';
import { eventually } from '../../../test/helpers/eventually.js';
import {
  groupBoard,
  makeAdmin,
  people,
  publicBoard,
  SQUARE_SETUPS,
  startSquareEnv,
  type SquareEnv,
} from '../square/square.test-helpers.js';

/**
 * SearchSquare through the gateway: posts follow the square's feed into the index, and a
 * person finds exactly the posts GetThread would show them (public boards, their groups'
 * boards, never a removed post), decided again at every search.
 */
for (const setup of SQUARE_SETUPS) {
  const ok = await setupAvailable(setup);

  describe.skipIf(!ok)(`square search on ${setup.name}`, () => {
    let env: SquareEnv;
    let api: Client<typeof search.SearchService>;
    let ann: TestUser, ben: TestUser, cat: TestUser;
    let general: string, club: string, clubGroup: string;
    const find = (u: TestUser, query: string, extra: Partial<search.SearchSquareRequest> = {}) =>
      api.searchSquare({ query, ...extra }, u.h);
    const ids = (r: search.SearchSquareResponse) => r.hits.map((h) => h.postId);
    const open = async (u: TestUser, boardId: string, title: string, body: string) => {
      const r = await env.square.createThread({ boardId, title, body }, u.h);
      return { threadId: r.thread!.id, postId: r.post!.id };
    };
    const reply = async (u: TestUser, threadId: string, body: string) =>
      (await env.square.reply({ threadId, body }, u.h)).post!.id;
    /** Waits until the indexer has taken everything so far (a marker thread is found). */
    let n = 0;
    const settled = async () => {
      const marker = `marker${++n}x`;
      await open(ann, general, marker, 'marker');
      await eventually(
        () => find(ann, marker),
        (r) => r.hits.length === 1,
      );
    };

    beforeAll(async () => {
      env = await startSquareEnv(setup, {}, undefined, { search: { pollIntervalMs: 20 } });
      api = env.server.client(search.SearchService);
      [ann, ben, cat] = await people(env, 'Ann', 'Ben', 'Cat');
      await makeAdmin(env, ann);
      general = (await publicBoard(env, ann)).id;
      const g = await groupBoard(env, ann, [ben]);
      club = g.board.id;
      clubGroup = g.groupId;
    });
    afterAll(() => env?.stop());

    it('finds threads by title and body and replies, each only where the searcher may read', async () => {
      const t = await open(ann, general, '周末去公园野餐', '有人一起吗？带上 Sandwiches');
      const r1 = await reply(ben, t.threadId, '我去公园，带水果');
      const inClub = await open(ben, club, '俱乐部的公园活动', '只给成员看');
      await settled();
      const forBen = await eventually(
        () => find(ben, '公园'),
        (r) => r.hits.length === 3,
      );
      expect(ids(forBen)).toEqual([inClub.postId, r1, t.postId]);
      expect(forBen.hits[2]).toMatchObject({
        threadId: t.threadId,
        boardId: general,
        threadTitle: '周末去公园野餐',
        floor: 0,
        authorId: ann.id,
      });
      expect(forBen.hits[1]).toMatchObject({ threadId: t.threadId, floor: 1, authorId: ben.id });
      const hit = forBen.hits[1]!;
      expect(hit.snippet.slice(hit.highlights[0]!.start, hit.highlights[0]!.end)).toBe('公园');
      // Traditional as Simplified; an English word by its start; the title alone.
      expect(ids(await find(ben, '公園'))).toHaveLength(3);
      expect(ids(await find(cat, 'sandw'))).toEqual([t.postId]);
      expect(ids(await find(cat, '野餐'))).toEqual([t.postId]);
      // Cat is in no group: the club's board is not hers to search.
      expect(ids(await find(cat, '公园'))).toEqual([r1, t.postId]);
      expect(ids(await find(cat, '俱乐部'))).toEqual([]);
      // Posts are not messages.
      expect((await api.searchMessages({ query: '公园' }, ben.h)).hits).toEqual([]);
      // Leaving the group hides its board's posts at once.
      await env.api.leaveGroup({ groupId: clubGroup }, ben.h);
      expect(ids(await find(ben, '俱乐部'))).toEqual([]);
      expect(ids(await find(ann, '俱乐部'))).toEqual([inClub.postId]);
    });

    it('never answers a removed post or a removed thread; an edit is found by its new text', async () => {
      const t = await open(ann, general, '山顶日出', '早起看日出');
      const gone = await reply(cat, t.threadId, '山顶好冷，要删的回复');
      const stays = await reply(cat, t.threadId, '山顶的云海');
      await settled();
      expect(ids(await find(ben, '山顶'))).toEqual([stays, gone, t.postId]);
      await env.square.deletePost({ postId: gone }, cat.h);
      expect(ids(await find(ben, '山顶'))).toEqual([stays, t.postId]);
      // A moderator removes the thread: all of its posts are gone from search.
      await env.square.deletePost({ postId: t.postId, reason: 'off topic' }, ann.h);
      expect(ids(await find(ben, '山顶'))).toEqual([]);
      expect(ids(await find(cat, '云海'))).toEqual([]);

      const keep = await open(ann, general, '灯塔', '讨论');
      const e = await reply(cat, keep.threadId, '旧的说法 lighthouse');
      await env.square.editPost({ postId: e, body: '新的说法 windmill' }, cat.h);
      await settled();
      await eventually(
        () => find(ben, 'windmill'),
        (r) => r.hits.length === 1,
      );
      expect(ids(await find(ben, 'windmill'))).toEqual([e]);
      expect(ids(await find(ben, 'lighthouse'))).toEqual([]);
    });

    it('finds a moved thread under its new board only', async () => {
      // From the club's board, which Cat may not read, to the public one.
      const t = await open(ann, club, '钟楼聚会', '钟楼下见');
      const r = await reply(ann, t.threadId, '钟楼的回复');
      await settled();
      expect(ids(await find(ann, '钟楼'))).toEqual([r, t.postId]);
      expect(ids(await find(cat, '钟楼'))).toEqual([]);
      await env.square.moveThread({ threadId: t.threadId, toBoardId: general }, ann.h);
      const moved = await eventually(
        () => find(cat, '钟楼'),
        (x) => x.hits.length === 2,
      );
      expect(moved.hits.map((h) => [h.postId, h.boardId])).toEqual([
        [r, general],
        [t.postId, general],
      ]);
      // Once each: nothing is left under the old board.
      expect(ids(await find(ann, '钟楼'))).toEqual([r, t.postId]);
    });

    it('pages with a token, newest first', async () => {
      const t = await open(ann, general, '翻页', 'start');
      const made: string[] = [];
      for (let i = 0; i < 5; i++) made.push(await reply(ben, t.threadId, `pagetest ${i}`));
      await settled();
      const p1 = await find(cat, 'pagetest', { limit: 2 });
      expect(ids(p1)).toEqual([made[4], made[3]]);
      const p2 = await find(cat, 'pagetest', { limit: 2, pageToken: p1.nextPageToken });
      expect(ids(p2)).toEqual([made[2], made[1]]);
      const p3 = await find(cat, 'pagetest', { limit: 2, pageToken: p2.nextPageToken });
      expect(ids(p3)).toEqual([made[0]]);
      expect(p3.nextPageToken).toBe('');
    });

    it('the internal feed: posts in order, edits again, bad input refused', async () => {
      const internal = env.server.app.value('rpc').client(square.SquareInternalService);
      const t = await open(ann, general, 'Feed title', 'feed body');
      const r = await reply(cat, t.threadId, 'feed reply');
      const page = await internal.listPostsForIndex({ afterCursor: String(BigInt(t.postId) - 1n), limit: 2 });
      expect(page.posts.map((p) => [p.postId, p.text, p.edited])).toEqual([
        [t.postId, 'Feed title\nfeed body', false],
        [r, 'feed reply', false],
      ]);
      await env.square.editPost({ postId: r, body: 'feed reply, edited' }, cat.h);
      const next = await internal.listPostsForIndex({ afterCursor: page.nextCursor, limit: 10 });
      expect(next.posts.map((p) => [p.postId, p.text, p.edited])).toEqual([[r, 'feed reply, edited', true]]);
      const none = await internal.listPostsForIndex({ afterCursor: next.nextCursor, limit: 10 });
      expect(none).toMatchObject({ posts: [], nextCursor: next.nextCursor });
      // Who may read what: Cat is in no group.
      const boards = await internal.listReadableBoards({ viewerId: cat.id });
      expect(boards.boardIds).toContain(general);
      expect(boards.boardIds).not.toContain(club);
      const f = await internal.filterVisiblePosts({ viewerId: cat.id, postIds: [r, '1'] });
      expect(f.visible.map((v) => [v.postId, v.threadTitle, v.floor])).toEqual([[r, 'Feed title', 1]]);
      expect(f.goneIds).toEqual(['1']);
      await expectReason(internal.listPostsForIndex({ limit: 0 }), 'INVALID_ARGUMENT');
      await expectReason(internal.listPostsForIndex({ limit: 1001 }), 'INVALID_ARGUMENT');
      await expectReason(internal.listPostsForIndex({ afterCursor: 'x', limit: 1 }), 'INVALID_ARGUMENT');
      await expectReason(internal.listReadableBoards({ viewerId: '' }), 'INVALID_ARGUMENT');
      await expectReason(
        internal.filterVisiblePosts({
          viewerId: cat.id,
          postIds: Array.from({ length: 201 }, (_, i) => `${i + 1}`),
        }),
        'INVALID_ARGUMENT',
      );
    });

    it('refuses a blank or long query, a bad limit and a forged page token', async () => {
      await expectReason(find(ann, '  '), 'INVALID_ARGUMENT');
      await expectReason(find(ann, 'x'.repeat(101)), 'FIELD_TOO_LONG');
      await expectReason(find(ann, 'page', { pageToken: 'bm90LWEtdG9rZW4' }), 'INVALID_ARGUMENT');
      await expectReason(find(ann, 'page', { limit: 51 }), 'INVALID_ARGUMENT');
    });
  });
}
