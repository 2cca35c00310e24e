import type { Client } from '@connectrpc/connect';
import { admin, auth, square } from '@mychat/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectReason, PASSWORD } from '../../../test/helpers/auth-helpers.js';
import { setupAvailable } from '../../../test/helpers/contacts-helpers.js';
import { eventually } from '../../../test/helpers/eventually.js';
import type { Bus } from '../../adapters/bus/bus.js';
import { encodeSquareReport, SQUARE_REPORT_CHANNEL } from '../../contracts/square-report.js';
import {
  makeAdmin,
  people,
  publicBoard,
  SQUARE_SETUPS,
  startSquareEnv,
  type SquareEnv,
} from './square.test-helpers.js';

const N = square.NoticeKind;

/**
 * The operator's console reaching into the square (SquareInternalService): a report of a
 * square post that it resolves with "remove" takes the post down, and deleting an account
 * leaves nothing of it readable in the square. On every engine.
 */
for (const setup of SQUARE_SETUPS) {
  const ok = await setupAvailable(setup);
  describe.skipIf(!ok)(`the console and the square on ${setup.name}`, () => {
    let env: SquareEnv;
    let consoleApi: Client<typeof admin.AdminService>;
    let internal: Client<typeof square.SquareInternalService>;
    let boardId: string;
    beforeAll(async () => {
      env = await startSquareEnv(setup);
      consoleApi = env.server.client(admin.AdminService);
      internal = env.server.app.value('rpc').client(square.SquareInternalService);
    });
    afterAll(() => env?.stop());

    async function operator(name: string) {
      const [op] = await people(env, name);
      await env.server.app
        .value('rpc')
        .client(auth.UserDirectoryService)
        .setAccountRole({ userId: op!.id, role: 2 });
      await consoleApi.confirmPassword({ password: PASSWORD }, op!.h);
      return op!;
    }

    it('deleting an account removes and empties its posts, threads, likes, follows and seats', async () => {
      const [sqAdmin, leaving, other] = await people(env, 'SqAdmin', 'Leaving', 'Other');
      await makeAdmin(env, sqAdmin!);
      boardId = (await publicBoard(env, sqAdmin!)).id;
      const own = await env.square.createThread(
        { boardId, title: 'Leaving soon', body: 'my words' },
        leaving!.h,
      );
      const others = await env.square.createThread(
        { boardId, title: 'Stays', body: 'their words' },
        other!.h,
      );
      const reply = (
        await env.square.reply({ threadId: others.thread!.id, body: 'secret reply' }, leaving!.h)
      ).post!;
      await env.square.editPost({ postId: reply.id, body: 'secret reply, edited' }, leaving!.h);
      await env.square.reply(
        { threadId: others.thread!.id, quotePostId: reply.id, body: 'quoting' },
        other!.h,
      );
      await env.square.likePost({ postId: others.post!.id }, leaving!.h);
      await env.square.setBoardModerator({ boardId, userId: leaving!.id }, sqAdmin!.h);
      const before = (await env.square.getThread({ threadId: others.thread!.id }, other!.h)).thread!;

      const op = await operator('Remover');
      await consoleApi.deleteAccount({ userId: leaving!.id, reason: 'owner asked' }, op.h);

      // Their thread is gone; their reply in another's thread is removed and empty, its quote too.
      await expectReason(env.square.getThread({ threadId: own.thread!.id }, other!.h), 'NOT_FOUND');
      const t = await env.square.getThread({ threadId: others.thread!.id, withHistory: true }, other!.h);
      const gone = t.posts.find((p) => p.id === reply.id)!;
      expect(gone).toMatchObject({ removed: true, body: '', html: '', history: [] });
      expect(t.posts.find((p) => p.body === 'quoting')!.quoteExcerpt).toBe('');
      expect(t.thread!.replyCount).toBe(before.replyCount - 1);
      const list = await env.square.listThreads({ boardId }, other!.h);
      expect(list.threads.map((x) => x.title)).not.toContain('Leaving soon');
      // Nothing of the account left in the square's tables.
      const db = env.store.db;
      const texts = await db
        .selectFrom('square_posts')
        .select(['body', 'html'])
        .where('author_id', '=', leaving!.id)
        .execute();
      expect(texts.length).toBeGreaterThan(0);
      expect(texts.every((p) => p.body === '' && p.html === '')).toBe(true);
      const edits = await db
        .selectFrom('square_post_edits')
        .select('body')
        .where('post_id', '=', reply.id)
        .execute();
      expect(edits).toEqual([]);
      for (const table of ['square_likes', 'square_follows', 'square_moderators'] as const)
        expect(
          await db.selectFrom(table).select('user_id').where('user_id', '=', leaving!.id).execute(),
        ).toEqual([]);
      const titles = await db
        .selectFrom('square_threads')
        .select('title')
        .where('author_id', '=', leaving!.id)
        .execute();
      expect(titles.map((r) => r.title)).toEqual(['']);
    });

    it('a console report of a square post resolved with "remove" takes it down; the author is told', async () => {
      const [writer, reporter] = await people(env, 'Writer', 'Reporter');
      const t = await env.square.createThread({ boardId, title: 'Reported', body: 'start' }, writer!.h);
      const bad = (await env.square.reply({ threadId: t.thread!.id, body: 'rude words' }, writer!.h)).post!;
      const { reportId } = await env.server.app
        .value('rpc')
        .client(admin.AdminInternalService)
        .fileReport({
          kind: 'square_post',
          targetId: bad.id,
          reporterId: reporter!.id,
          reason: 'rude',
          snapshot: { authorId: writer!.id, text: 'rude words' },
        });
      const op = await operator('Moderator');
      await consoleApi.resolveReport({ reportId, remove: true, reason: 'insults' }, op.h);
      const after = await env.square.getThread({ threadId: t.thread!.id }, reporter!.h);
      expect(after.posts.find((p) => p.id === bad.id)).toMatchObject({
        removed: true,
        body: '',
        removedReason: 'insults',
      });
      const notices = (await env.square.listSquareNotices({}, writer!.h)).notices;
      expect(notices.map((n) => [n.kind, n.postId, n.text])).toContainEqual([
        N.POST_REMOVED,
        bad.id,
        'insults',
      ]);
      // Once is enough: the square says it was removed already.
      expect(
        await internal.removePost({ postId: bad.id, moderatorId: op.id, reason: 'again' }),
      ).toMatchObject({
        removed: false,
      });
    });

    it("a user's report of a square post reaches the console's queue once; removing it there tells the reporter", async () => {
      const [writer, reporter] = await people(env, 'Poster', 'Flagger');
      const t = await env.square.createThread({ boardId, title: 'Flagged', body: 'fine' }, writer!.h);
      const bad = (await env.square.reply({ threadId: t.thread!.id, body: 'spam spam' }, writer!.h)).post!;
      const { reportId } = await env.square.reportContent({ postId: bad.id, reason: 'spam' }, reporter!.h);
      const op = await operator('Queue');
      const queued = async () =>
        (await consoleApi.listReports({ limit: 100 }, op.h)).reports.filter((r) => r.targetId === bad.id);
      const [filed] = await eventually(queued, (r) => r.length === 1);
      expect(filed).toMatchObject({
        id: reportId,
        kind: 'square_post',
        reporterId: reporter!.id,
        reason: 'spam',
        snapshot: { authorId: writer!.id, authorNickname: 'Poster', text: 'spam spam' },
      });
      // A redelivered announcement, and one that is not a report, file nothing.
      const bus = env.server.app.value<Bus>('bus');
      await bus.publish(
        SQUARE_REPORT_CHANNEL,
        encodeSquareReport({
          kind: 'square_post',
          targetId: bad.id,
          reporterId: reporter!.id,
          reason: 'spam',
          sourceId: reportId,
        }),
      );
      await bus.publish(SQUARE_REPORT_CHANNEL, new Uint8Array([0xff, 0x01]));
      await new Promise((r) => setTimeout(r, 200));
      expect(await queued()).toHaveLength(1);

      await consoleApi.resolveReport({ reportId, remove: true, reason: 'no spam here' }, op.h);
      const after = await env.square.getThread({ threadId: t.thread!.id }, reporter!.h);
      expect(after.posts.find((p) => p.id === bad.id)).toMatchObject({ removed: true, body: '' });
      const told = (await env.square.listSquareNotices({}, reporter!.h)).notices;
      expect(told.map((n) => [n.kind, n.postId, n.text, n.removed])).toContainEqual([
        N.REPORT_RESOLVED,
        bad.id,
        'no spam here',
        true,
      ]);
      // The square's own queue closed it too.
      const [sqAdmin] = await people(env, 'SqAdmin2');
      await makeAdmin(env, sqAdmin!);
      const open = (await env.square.listReports({}, sqAdmin!.h)).reports;
      expect(open.map((r) => r.id)).not.toContain(reportId);
    });

    it('refuses bad input on its internal methods', async () => {
      await expectReason(
        internal.removePost({ postId: 'x', moderatorId: '1', reason: 'r' }),
        'INVALID_ARGUMENT',
      );
      await expectReason(
        internal.removePost({ postId: '1', moderatorId: '1', reason: ' ' }),
        'INVALID_ARGUMENT',
      );
      await expectReason(internal.purgeUser({ userId: '' }), 'INVALID_ARGUMENT');
      expect(await internal.purgeUser({ userId: '123' })).toMatchObject({ postsRemoved: 0 });
    });
  });
}
