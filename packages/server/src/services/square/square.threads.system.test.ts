import { square } from '@mychat/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectReason } from '../../../test/helpers/auth-helpers.js';
import { setupAvailable, type TestUser } from '../../../test/helpers/contacts-helpers.js';
import { hotKey } from './square.ranking.js';
import {
  makeAdmin,
  people,
  publicBoard,
  SQUARE_SETUPS,
  startSquareEnv,
  thread,
  type SquareEnv,
} from './square.test-helpers.js';

const { ThreadSort: S, NoticeKind: N } = square;

/** Threads and posts on every engine: paging, hot order, edits, notices, reports. */
for (const setup of SQUARE_SETUPS) {
  const ok = await setupAvailable(setup);
  describe.skipIf(!ok)(`square threads on ${setup.name}`, () => {
    let env: SquareEnv;
    let admin: TestUser;
    beforeAll(async () => {
      env = await startSquareEnv(setup);
      [admin] = await people(env, 'Admin');
      await makeAdmin(env, admin!);
    });
    afterAll(() => env?.stop());

    /** Every thread id of a board, page by page, `limit` at a time. */
    async function pageAll(
      u: TestUser,
      boardId: string,
      sort: number,
      limit: number,
      between?: () => Promise<void>,
    ) {
      const ids: string[] = [];
      let cursor = '';
      for (let i = 0; i < 200; i++) {
        const r = await env.square.listThreads({ boardId, sort, cursor, limit }, u.h);
        ids.push(...r.threads.map((t) => t.id));
        if (!r.nextCursor) return ids;
        cursor = r.nextCursor;
        await between?.();
      }
      throw new Error('paging did not end');
    }

    it('pages every thread exactly once under each sort while 20 writers post', async () => {
      const board = await publicBoard(env, admin, 'Busy');
      const [reader, ...writers] = await people(
        env,
        'Reader',
        ...Array.from({ length: 20 }, (_, i) => `W${i}`),
      );
      const before: string[] = [];
      for (let i = 0; i < 30; i++)
        before.push((await thread(env, writers[i % 20]!, board.id, `old ${i}`)).thread!.id);
      const written: string[] = [];
      // Each writer posts 3 threads with a reply each, while the reader pages every sort.
      const writing = Promise.all(
        writers.map(async (w, i) => {
          for (let k = 0; k < 3; k++) {
            const t = (await thread(env, w, board.id, `new ${i}.${k}`)).thread!;
            written.push(t.id);
            await env.square.reply({ threadId: t.id, body: 'bump' }, w.h);
          }
        }),
      );
      const pause = () => new Promise<void>((r) => setTimeout(r, 10));
      const seenBySort = await Promise.all(
        [S.NEW, S.LATEST_REPLY, S.HOT].map(
          async (sort) => [sort, await pageAll(reader!, board.id, sort, 5, pause)] as const,
        ),
      );
      await writing;
      for (const [sort, seen] of seenBySort) {
        expect(new Set(seen).size, `no thread twice (${S[sort]})`).toBe(seen.length);
        const old = seen.filter((id) => before.includes(id));
        expect(old.sort(), `every older thread once (${S[sort]})`).toEqual([...before].sort());
      }
      expect(written.length).toBeGreaterThan(0);
      // Once the writers stop, "new" lists everything, newest first.
      const all = await pageAll(reader!, board.id, S.NEW, 50);
      expect(all).toEqual([...before, ...written].sort((a, b) => (BigInt(b) > BigInt(a) ? 1 : -1)));
    }, 240_000);

    it('orders by hot score deterministically, recomputed on replies and likes, pinned first', async () => {
      const board = await publicBoard(env, admin, 'Hot');
      const [a, b] = await people(env, 'A', 'B');
      const t1 = await thread(env, a!, board.id, 'one');
      const t2 = await thread(env, a!, board.id, 'two');
      const t3 = await thread(env, a!, board.id, 'three');
      for (let i = 0; i < 3; i++) await env.square.reply({ threadId: t1.thread!.id, body: `r${i}` }, b!.h);
      await env.square.likePost({ postId: t2.post!.id }, b!.h);
      await env.square.likePost({ postId: t2.post!.id }, a!.h);
      await env.square.likePost({ postId: t2.post!.id }, a!.h); // a second like changes nothing
      const list = (await env.square.listThreads({ boardId: board.id, sort: S.HOT }, a!.h)).threads;
      const want = list
        .map((t) => ({
          id: t.id,
          key: hotKey(
            t.likeCount,
            t.replyCount,
            Number(t.createdAt!.seconds) * 1000 + Math.floor(t.createdAt!.nanos / 1e6),
          ),
        }))
        .sort((x, y) => y.key - x.key || (BigInt(y.id) > BigInt(x.id) ? 1 : -1));
      expect(list.map((t) => t.id)).toEqual(want.map((w) => w.id));
      expect(list.map((t) => Math.round(t.hotScore * 1e6))).toEqual(want.map((w) => w.key));
      expect(list.find((t) => t.id === t2.thread!.id)!.likeCount).toBe(2);
      expect(list[0]!.id).toBe(t1.thread!.id); // 3 replies weigh 6, more than 2 likes
      // The same again gives the same order.
      const again = (await env.square.listThreads({ boardId: board.id, sort: S.HOT }, b!.h)).threads;
      expect(again.map((t) => t.id)).toEqual(list.map((t) => t.id));
      // Unlike lowers it again; pinned comes first whatever its score.
      expect((await env.square.likePost({ postId: t2.post!.id, unlike: true }, b!.h)).likeCount).toBe(1);
      await env.square.pinThread({ threadId: t3.thread!.id, pinned: true }, admin.h);
      const pinned = (await env.square.listThreads({ boardId: board.id, sort: S.HOT }, a!.h)).threads;
      expect(pinned[0]!.id).toBe(t3.thread!.id);
      expect(pinned[0]!.pinned).toBe(true);
      expect(pinned.length).toBe(3);
    });

    it('keeps the earlier text of an edited post, and only its author may edit it', async () => {
      const board = await publicBoard(env, admin, 'Edits');
      const [a, b] = await people(env, 'A', 'B');
      const t = await thread(env, a!, board.id, 'Title', 'version 1');
      await expectReason(
        env.square.editPost({ postId: t.post!.id, body: 'hack' }, b!.h),
        'PERMISSION_DENIED',
      );
      await env.square.editPost({ postId: t.post!.id, body: 'version 2', title: 'New title' }, a!.h);
      const edited = (await env.square.editPost({ postId: t.post!.id, body: '**version 3**' }, a!.h)).post!;
      expect(edited.editedAt).toBeDefined();
      expect(edited.html).toBe('<p><strong>version 3</strong></p>\n');
      const r = await env.square.getThread({ threadId: t.thread!.id, withHistory: true }, b!.h);
      const first = r.posts[0]!;
      expect(first.body).toBe('**version 3**');
      expect(first.history.map((h) => h.body)).toEqual(['version 1', 'version 2']);
      expect(r.thread!.title).toBe('New title');
      expect((await env.square.getThread({ threadId: t.thread!.id }, b!.h)).posts[0]!.history).toEqual([]);
      const reply = (await env.square.reply({ threadId: t.thread!.id, body: 'r' }, b!.h)).post!;
      await expectReason(
        env.square.editPost({ postId: reply.id, body: 'x', title: 'no' }, b!.h),
        'INVALID_ARGUMENT',
      );
    });

    it('quotes, pages a thread by floor, and sends mention, quote and reply notices', async () => {
      const board = await publicBoard(env, admin, 'Talk');
      const [a, b, c, d] = await people(env, 'A', 'B', 'C', 'D');
      const t = await thread(env, a!, board.id, 'Topic', 'hello all');
      const r1 = (
        await env.square.reply(
          { threadId: t.thread!.id, body: 'first reply', mentionUserIds: [c!.id, '999999999'] },
          b!.h,
        )
      ).post!;
      expect(r1.mentionUserIds).toEqual([c!.id]);
      await env.square.followThread({ threadId: t.thread!.id }, d!.h);
      const r2 = (
        await env.square.reply({ threadId: t.thread!.id, body: 'agreed', quotePostId: r1.id }, c!.h)
      ).post!;
      expect(r2.quoteAuthorId).toBe(b!.id);
      await expectReason(
        env.square.reply({ threadId: t.thread!.id, body: 'x', quotePostId: '123456789' }, c!.h),
        'NOT_FOUND',
      );
      const page1 = await env.square.getThread({ threadId: t.thread!.id, limit: 2 }, d!.h);
      expect(page1.posts.map((p) => p.floor)).toEqual([0, 1]);
      const page2 = await env.square.getThread(
        { threadId: t.thread!.id, limit: 2, cursor: page1.nextCursor },
        d!.h,
      );
      expect(page2.posts.map((p) => p.id)).toEqual([r2.id]);
      expect(page2.posts[0]!.quoteExcerpt).toBe('first reply');
      expect(page2.nextCursor).toBe('');
      expect(page1.users.map((u) => u.nickname).sort()).toEqual(['A', 'B', 'C']);
      const kinds = async (u: TestUser) =>
        (await env.square.listSquareNotices({}, u.h)).notices.map((n) => `${N[n.kind]}:${n.postId}`);
      expect(await kinds(a!)).toEqual([`REPLY:${r2.id}`, `REPLY:${r1.id}`]); // the author follows
      expect(await kinds(b!)).toEqual([`QUOTE:${r2.id}`]);
      expect(await kinds(c!)).toEqual([`MENTION:${r1.id}`]);
      expect(await kinds(d!)).toEqual([`REPLY:${r2.id}`]);
      const n = await env.square.listSquareNotices({ markRead: true }, a!.h);
      expect(n.unread).toBe(0);
      expect(n.notices[0]!.threadTitle).toBe('Topic');
      await env.square.reply({ threadId: t.thread!.id, body: 'more' }, d!.h);
      expect((await env.square.listSquareNotices({}, a!.h)).unread).toBe(1);
      await env.square.followThread({ threadId: t.thread!.id, unfollow: true }, d!.h);
      await env.square.reply({ threadId: t.thread!.id, body: 'again' }, b!.h);
      expect((await kinds(d!)).length).toBe(1);
    });

    it('report -> queue -> removal: the post goes, the reporter and the author are told', async () => {
      const board = await publicBoard(env, admin, 'Reports');
      const [mod, a, r1, r2, other] = await people(env, 'Mod', 'A', 'R1', 'R2', 'Other');
      await env.square.setBoardModerator({ boardId: board.id, userId: mod!.id }, admin.h);
      const t = await thread(env, a!, board.id, 'Topic');
      const bad = (await env.square.reply({ threadId: t.thread!.id, body: 'spam spam' }, a!.h)).post!;
      const rep = await env.square.reportContent({ postId: bad.id, reason: 'spam' }, r1!.h);
      await env.square.reportContent({ postId: bad.id, reason: 'ads' }, r2!.h);
      await expectReason(
        env.square.reportContent({ postId: bad.id, reason: 'again' }, r1!.h),
        'SQUARE_ALREADY_REPORTED',
      );
      await expectReason(
        env.square.reportContent({ postId: bad.id, reason: '' }, other!.h),
        'INVALID_ARGUMENT',
      );
      // Someone who moderates nothing sees no queue and may not resolve.
      expect((await env.square.listReports({}, other!.h)).reports).toEqual([]);
      await expectReason(
        env.square.resolveReport({ reportId: rep.reportId, remove: true, reason: 'x' }, other!.h),
        'SQUARE_NOT_MODERATOR',
      );
      const queue = (await env.square.listReports({}, mod!.h)).reports.filter((r) => r.postId === bad.id);
      expect(queue.map((r) => r.snapshot)).toEqual(['spam spam', 'spam spam']);
      await env.square.resolveReport({ reportId: rep.reportId, remove: true, reason: 'advertising' }, mod!.h);
      await expectReason(
        env.square.resolveReport({ reportId: rep.reportId, remove: false, reason: 'x' }, mod!.h),
        'SQUARE_REPORT_RESOLVED',
      );
      expect((await env.square.listReports({}, mod!.h)).reports.filter((r) => r.postId === bad.id)).toEqual(
        [],
      );
      const posts = (await env.square.getThread({ threadId: t.thread!.id }, other!.h)).posts;
      const gone = posts.find((p) => p.id === bad.id)!;
      expect(gone).toMatchObject({ removed: true, body: '', html: '', removedReason: 'advertising' });
      for (const u of [r1!, r2!]) {
        const n = (await env.square.listSquareNotices({}, u.h)).notices[0]!;
        expect(n).toMatchObject({
          kind: N.REPORT_RESOLVED,
          postId: bad.id,
          text: 'advertising',
          removed: true,
        });
      }
      const told = (await env.square.listSquareNotices({}, a!.h)).notices.find(
        (n) => n.kind === N.POST_REMOVED,
      )!;
      expect(told.text).toBe('advertising');
      // Keeping a post closes its reports with no removal.
      const fine = (await env.square.reply({ threadId: t.thread!.id, body: 'fine' }, a!.h)).post!;
      const rep2 = await env.square.reportContent({ postId: fine.id, reason: 'meh' }, r1!.h);
      await env.square.resolveReport(
        { reportId: rep2.reportId, remove: false, reason: 'within the rules' },
        mod!.h,
      );
      expect((await env.square.listSquareNotices({}, r1!.h)).notices[0]).toMatchObject({
        removed: false,
        text: 'within the rules',
      });
      expect(
        (await env.square.getThread({ threadId: t.thread!.id }, a!.h)).posts.find((p) => p.id === fine.id)!
          .removed,
      ).toBe(false);
      // A moderator removing a first post removes the thread; removing needs a reason.
      await expectReason(env.square.deletePost({ postId: t.post!.id }, mod!.h), 'INVALID_ARGUMENT');
      await expectReason(
        env.square.deletePost({ postId: t.post!.id, reason: 'x' }, other!.h),
        'SQUARE_NOT_MODERATOR',
      );
      await env.square.deletePost({ postId: t.post!.id, reason: 'off topic' }, mod!.h);
      await expectReason(env.square.getThread({ threadId: t.thread!.id }, a!.h), 'NOT_FOUND');
      expect((await env.square.listThreads({ boardId: board.id }, a!.h)).threads).toEqual([]);
    });

    it('stores posts as sanitized HTML (the XSS corpus)', async () => {
      const board = await publicBoard(env, admin, 'XSS');
      const [a] = await people(env, 'A');
      const t = await thread(
        env,
        a!,
        board.id,
        '<script>alert(1)</script>',
        '<img src=x onerror=alert(1)>\n\n[x](javascript:alert(1))\n\n<svg onload=alert(1)>',
      );
      const p = (await env.square.getThread({ threadId: t.thread!.id }, a!.h)).posts[0]!;
      expect(p.html).not.toMatch(/<(img|svg|script)|<a /i);
      expect(p.html).toContain('&lt;img src=x onerror=alert(1)&gt;');
      expect(t.thread!.title).toBe('<script>alert(1)</script>'); // a title is plain text, shown as text
    });
  });
}
