import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectReason } from '../../../test/helpers/auth-helpers.js';
import { setupAvailable } from '../../../test/helpers/contacts-helpers.js';
import {
  groupBoard,
  makeAdmin,
  people,
  publicBoard,
  SQUARE_SETUPS,
  startSquareEnv,
  thread,
  type SquareEnv,
} from './square.test-helpers.js';

/** Who may see, post in and moderate which board, on every engine. */
for (const setup of SQUARE_SETUPS) {
  const ok = await setupAvailable(setup);
  describe.skipIf(!ok)(`square permissions on ${setup.name}`, () => {
    let env: SquareEnv;
    beforeAll(async () => {
      env = await startSquareEnv(setup);
    });
    afterAll(() => env?.stop());

    it('lets only square admins open public boards, and shows them to every signed-in user', async () => {
      const [admin, ann] = await people(env, 'Admin', 'Ann');
      await expectReason(env.square.createBoard({ name: 'Mine' }, ann.h), 'PERMISSION_DENIED');
      await makeAdmin(env, admin);
      const board = await publicBoard(env, admin, 'Public one');
      const seen = await env.square.listBoards({}, ann.h);
      expect(seen.boards.map((b) => b.id)).toContain(board.id);
      expect(seen.isAdmin).toBe(false);
      expect(seen.boards.find((b) => b.id === board.id)!.canModerate).toBe(false);
      expect((await env.square.listBoards({}, admin.h)).isAdmin).toBe(true);
      const t = await thread(env, ann, board.id);
      expect(t.thread!.boardId).toBe(board.id);
      await expectReason(env.square.createBoard({ name: ' ' }, admin.h), 'INVALID_ARGUMENT');
    });

    it('shows a group board to its members only; the owner moderates it; outsiders get NOT_FOUND', async () => {
      const [owner, member, outsider] = await people(env, 'Owner', 'Member', 'Outsider');
      const { groupId, board } = await groupBoard(env, owner, [member]);
      // A plain member may not open the group's board; an outsider may not open one for it.
      await expectReason(env.square.createBoard({ name: 'x', groupId }, member.h), 'PERMISSION_DENIED');
      await expectReason(env.square.createBoard({ name: 'x', groupId }, outsider.h), 'PERMISSION_DENIED');
      const t = (await thread(env, member, board.id)).thread!;
      expect((await env.square.listBoards({}, member.h)).boards.map((b) => b.id)).toContain(board.id);
      expect((await env.square.listBoards({}, outsider.h)).boards.map((b) => b.id)).not.toContain(board.id);
      await expectReason(env.square.listThreads({ boardId: board.id }, outsider.h), 'NOT_FOUND');
      await expectReason(env.square.getThread({ threadId: t.id }, outsider.h), 'NOT_FOUND');
      await expectReason(thread(env, outsider, board.id), 'NOT_FOUND');
      await expectReason(env.square.reply({ threadId: t.id, body: 'hi' }, outsider.h), 'NOT_FOUND');
      await expectReason(env.square.likePost({ postId: t.id }, outsider.h), 'NOT_FOUND');
      const firstPost = (await env.square.getThread({ threadId: t.id }, member.h)).posts[0]!;
      await expectReason(env.square.likePost({ postId: firstPost.id }, outsider.h), 'NOT_FOUND');
      await expectReason(
        env.square.reportContent({ postId: firstPost.id, reason: 'x' }, outsider.h),
        'NOT_FOUND',
      );
      // The owner moderates; the member does not.
      await env.square.pinThread({ threadId: t.id, pinned: true }, owner.h);
      await expectReason(
        env.square.pinThread({ threadId: t.id, pinned: false }, member.h),
        'SQUARE_NOT_MODERATOR',
      );
      // Forged and malformed ids.
      await expectReason(env.square.listThreads({ boardId: '999999999999' }, member.h), 'NOT_FOUND');
      await expectReason(env.square.listThreads({ boardId: 'abc' }, member.h), 'INVALID_ARGUMENT');
      await expectReason(
        env.square.listThreads({ boardId: board.id, cursor: '!!' }, member.h),
        'INVALID_ARGUMENT',
      );
      await expectReason(
        env.square.listThreads({ boardId: board.id, sort: 9 }, member.h),
        'INVALID_ARGUMENT',
      );
    });

    it('refuses a banned user (board or whole square) until the ban is lifted', async () => {
      const [admin, mod, ann] = await people(env, 'Admin', 'Mod', 'Ann');
      await makeAdmin(env, admin);
      const board = await publicBoard(env, admin);
      const other = await publicBoard(env, admin, 'Other');
      await env.square.setBoardModerator({ boardId: board.id, userId: mod.id }, admin.h);
      const t = (await thread(env, ann, board.id)).thread!;
      // A board moderator bans from that board only, never from the square.
      await expectReason(env.square.banUser({ userId: ann.id, seconds: 60 }, mod.h), 'SQUARE_NOT_MODERATOR');
      await expectReason(
        env.square.banUser({ boardId: other.id, userId: ann.id, seconds: 60 }, mod.h),
        'SQUARE_NOT_MODERATOR',
      );
      await env.square.banUser({ boardId: board.id, userId: ann.id, seconds: 3600, reason: 'spam' }, mod.h);
      const err = await expectReason(
        env.square.reply({ threadId: t.id, body: 'again' }, ann.h),
        'SQUARE_BANNED',
      );
      expect(err.message).toMatch(/banned/);
      await expectReason(thread(env, ann, board.id), 'SQUARE_BANNED');
      expect(
        (await env.square.listBoards({}, ann.h)).boards.find((b) => b.id === board.id)!.bannedUntil,
      ).toBeDefined();
      await thread(env, ann, other.id);
      // Admins ban from the whole square; 0 seconds lifts a ban.
      await env.square.banUser({ userId: ann.id, seconds: 3600 }, admin.h);
      await expectReason(thread(env, ann, other.id), 'SQUARE_BANNED');
      await env.square.banUser({ userId: ann.id, seconds: 0 }, admin.h);
      await env.square.banUser({ boardId: board.id, userId: ann.id, seconds: 0 }, mod.h);
      await env.square.reply({ threadId: t.id, body: 'back' }, ann.h);
      await expectReason(env.square.banUser({ userId: ann.id, seconds: -1 }, admin.h), 'INVALID_ARGUMENT');
    });

    it('refuses replies, likes and edits in a locked thread; only moderators lock', async () => {
      const [admin, ann, ben] = await people(env, 'Admin', 'Ann', 'Ben');
      await makeAdmin(env, admin);
      const board = await publicBoard(env, admin);
      const r = await thread(env, ann, board.id);
      await expectReason(
        env.square.lockThread({ threadId: r.thread!.id, locked: true }, ann.h),
        'SQUARE_NOT_MODERATOR',
      );
      await env.square.lockThread({ threadId: r.thread!.id, locked: true }, admin.h);
      await expectReason(
        env.square.reply({ threadId: r.thread!.id, body: 'no' }, ben.h),
        'SQUARE_THREAD_LOCKED',
      );
      await expectReason(env.square.likePost({ postId: r.post!.id }, ben.h), 'SQUARE_THREAD_LOCKED');
      await expectReason(
        env.square.editPost({ postId: r.post!.id, body: 'changed' }, ann.h),
        'SQUARE_THREAD_LOCKED',
      );
      const seen = (await env.square.getThread({ threadId: r.thread!.id }, ben.h)).thread!;
      expect(seen.locked).toBe(true);
      await env.square.lockThread({ threadId: r.thread!.id, locked: false }, admin.h);
      await env.square.reply({ threadId: r.thread!.id, body: 'yes' }, ben.h);
    });

    it('moves a thread between boards the moderator moderates', async () => {
      const [admin, mod, ann] = await people(env, 'Admin', 'Mod', 'Ann');
      await makeAdmin(env, admin);
      const a = await publicBoard(env, admin, 'A');
      const b = await publicBoard(env, admin, 'B');
      await env.square.setBoardModerator({ boardId: a.id, userId: mod.id }, admin.h);
      const t = (await thread(env, ann, a.id)).thread!;
      await expectReason(
        env.square.moveThread({ threadId: t.id, toBoardId: b.id }, mod.h),
        'SQUARE_NOT_MODERATOR',
      );
      await env.square.setBoardModerator({ boardId: b.id, userId: mod.id }, admin.h);
      await env.square.moveThread({ threadId: t.id, toBoardId: b.id }, mod.h);
      expect((await env.square.listThreads({ boardId: b.id }, ann.h)).threads.map((x) => x.id)).toEqual([
        t.id,
      ]);
      expect((await env.square.listThreads({ boardId: a.id }, ann.h)).threads).toEqual([]);
      await expectReason(
        env.square.setBoardModerator({ boardId: a.id, userId: ann.id }, mod.h),
        'PERMISSION_DENIED',
      );
    });

    it('refuses filtered words, more than 9 images, and bad input', async () => {
      const [admin, ann] = await people(env, 'Admin', 'Ann');
      await makeAdmin(env, admin);
      const board = await publicBoard(env, admin);
      await expectReason(env.square.setFilterKeywords({ keywords: ['x'] }, ann.h), 'PERMISSION_DENIED');
      await env.square.setFilterKeywords({ keywords: ['Casino', 'casino', ' 赌博 '] }, admin.h);
      expect((await env.square.getFilterKeywords({}, admin.h)).keywords.sort()).toEqual(
        ['casino', '赌博'].sort(),
      );
      await expectReason(thread(env, ann, board.id, 'Best CASINO in town'), 'SQUARE_CONTENT_FILTERED');
      await expectReason(thread(env, ann, board.id, 'ok', '来赌博吧'), 'SQUARE_CONTENT_FILTERED');
      const t = await thread(env, ann, board.id, 'fine', 'fine');
      await expectReason(
        env.square.editPost({ postId: t.post!.id, body: 'casino' }, ann.h),
        'SQUARE_CONTENT_FILTERED',
      );
      await env.square.setFilterKeywords({ keywords: [] }, admin.h);
      const ten = Array.from({ length: 10 }, (_, i) => String(1000 + i));
      await expectReason(
        env.square.createThread({ boardId: board.id, title: 't', body: 'b', mediaIds: ten }, ann.h),
        'SQUARE_TOO_MANY_MEDIA',
      );
      await expectReason(
        env.square.createThread({ boardId: board.id, title: '', body: 'b' }, ann.h),
        'INVALID_ARGUMENT',
      );
      await expectReason(
        env.square.createThread({ boardId: board.id, title: 't', body: ' ' }, ann.h),
        'INVALID_ARGUMENT',
      );
      await expectReason(
        env.square.createThread({ boardId: board.id, title: 'x'.repeat(121), body: 'b' }, ann.h),
        'FIELD_TOO_LONG',
      );
      await expectReason(
        env.square.createThread({ boardId: board.id, title: 'a\u202eb', body: 'b' }, ann.h),
        'INVALID_ARGUMENT',
      );
      // Someone else's (or a missing) file is refused by the media service.
      await expectReason(
        env.square.createThread({ boardId: board.id, title: 't', body: 'b', mediaIds: ['12345'] }, ann.h),
        'NOT_FOUND',
      );
    });
  });
}
