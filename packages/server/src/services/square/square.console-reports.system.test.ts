import type { Client } from '@connectrpc/connect';
import { admin, auth, square } from '@mychat/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectReason, PASSWORD } from '../../../test/helpers/auth-helpers.js';
import { setupAvailable } from '../../../test/helpers/contacts-helpers.js';
import { eventually } from '../../../test/helpers/eventually.js';
import type { Bus } from '../../adapters/bus/bus.js';
import { SQUARE_REPORT_CHANNEL } from '../../contracts/square-report.js';
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
 * The square's reports in the operator's console: none is lost when its bus announcement
 * reaches no admin process (the console catches up from the square), and "keep" in the console
 * closes the square's own reports of the post, each reporter told. On every engine.
 */
for (const setup of SQUARE_SETUPS) {
  const ok = await setupAvailable(setup);
  describe.skipIf(!ok)(`square reports in the console on ${setup.name}`, () => {
    let env: SquareEnv;
    let consoleApi: Client<typeof admin.AdminService>;
    let internal: Client<typeof square.SquareInternalService>;
    let boardId: string;
    beforeAll(async () => {
      // The console catches up every second here (a minute by default).
      env = await startSquareEnv(setup, {}, undefined, { admin: { squareReportsPollSeconds: 1 } });
      consoleApi = env.server.client(admin.AdminService);
      internal = env.server.app.value('rpc').client(square.SquareInternalService);
      const [sqAdmin] = await people(env, 'SqAdmin');
      await makeAdmin(env, sqAdmin!);
      boardId = (await publicBoard(env, sqAdmin!)).id;
    });
    afterAll(() => env?.stop());

    async function operator(name: string) {
      const [op] = await people(env, name);
      await env.server.app
        .value('rpc')
        .client(auth.UserDirectoryService)
        .setAccountRole({ userId: op!.id, role: 1 });
      await consoleApi.confirmPassword({ password: PASSWORD }, op!.h);
      return op!;
    }

    async function reportedReply(writerName: string, text: string, ...reporterNames: string[]) {
      const [writer, ...reporters] = await people(env, writerName, ...reporterNames);
      const t = await env.square.createThread({ boardId, title: `About ${text}`, body: 'start' }, writer!.h);
      const post = (await env.square.reply({ threadId: t.thread!.id, body: text }, writer!.h)).post!;
      const ids: string[] = [];
      for (const r of reporters)
        ids.push((await env.square.reportContent({ postId: post.id, reason: 'bad' }, r.h)).reportId);
      return { writer: writer!, reporters, threadId: t.thread!.id, post, reportIds: ids };
    }

    it('a report whose announcement no admin process heard still reaches the console queue', async () => {
      const bus = env.server.app.value<Bus>('bus');
      const publish = bus.publish.bind(bus);
      // The announcements go nowhere, as when no admin process listens.
      bus.publish = (channel, data) =>
        channel === SQUARE_REPORT_CHANNEL ? Promise.resolve() : publish(channel, data);
      let filed: Awaited<ReturnType<typeof reportedReply>>;
      try {
        filed = await reportedReply('Unheard', 'unheard spam', 'Witness');
      } finally {
        bus.publish = publish;
      }
      const op = await operator('Catcher');
      const queued = async () =>
        (await consoleApi.listReports({ limit: 100 }, op.h)).reports.filter(
          (r) => r.targetId === filed.post.id,
        );
      const [r] = await eventually(queued, (list) => list.length === 1, 30_000);
      expect(r).toMatchObject({
        id: filed.reportIds[0],
        kind: 'square_post',
        reporterId: filed.reporters[0]!.id,
        reason: 'bad',
        snapshot: { authorId: filed.writer.id, authorNickname: 'Unheard', text: 'unheard spam' },
      });
      // Catching up again files it no second time.
      const more = await reportedReply('Heard', 'heard spam', 'Witness2');
      await eventually(
        async () => (await consoleApi.listReports({ limit: 100 }, op.h)).reports,
        (list) => list.some((x) => x.targetId === more.post.id),
        30_000,
      );
      expect(await queued()).toHaveLength(1);
    });

    it('"keep" in the console closes the square\'s own reports of the post; each reporter is told', async () => {
      const k = await reportedReply('Kept', 'an opinion', 'Flagger1', 'Flagger2');
      const op = await operator('Keeper');
      await eventually(
        async () => (await consoleApi.listReports({ limit: 100 }, op.h)).reports,
        (list) => list.filter((x) => x.targetId === k.post.id).length === 2,
        30_000,
      );
      const done = await consoleApi.resolveReport(
        { reportId: k.reportIds[0]!, remove: false, reason: 'within the rules' },
        op.h,
      );
      expect(done.report?.status).toBe(admin.ReportStatus.KEPT);
      // The post stays; the square's queue no longer holds either report.
      const t = await env.square.getThread({ threadId: k.threadId }, k.reporters[0]!.h);
      expect(t.posts.find((p) => p.id === k.post.id)).toMatchObject({ removed: false, body: 'an opinion' });
      const [sqAdmin] = await people(env, 'SqAdmin3');
      await makeAdmin(env, sqAdmin!);
      const open = (await env.square.listReports({ limit: 100 }, sqAdmin!.h)).reports.map((r) => r.id);
      expect(open).not.toContain(k.reportIds[0]);
      expect(open).not.toContain(k.reportIds[1]);
      for (const reporter of k.reporters) {
        const told = (await env.square.listSquareNotices({}, reporter.h)).notices;
        expect(told.map((n) => [n.kind, n.postId, n.text, n.removed])).toContainEqual([
          N.REPORT_RESOLVED,
          k.post.id,
          'within the rules',
          false,
        ]);
      }
      // Its author is told nothing (nothing was removed); keeping again closes nothing more.
      const authorNotices = (await env.square.listSquareNotices({}, k.writer.h)).notices;
      expect(authorNotices.filter((n) => n.postId === k.post.id)).toEqual([]);
      expect(
        await internal.keepPost({ postId: k.post.id, moderatorId: op.id, reason: 'again' }),
      ).toMatchObject({
        reportsClosed: 0,
      });
    });

    it('lists its reports for the console in id order by cursor, and refuses bad input', async () => {
      const first = await internal.listReportsForConsole({ afterCursor: '', limit: 1 });
      expect(first.reports).toHaveLength(1);
      expect(first.nextCursor).toBe(first.reports[0]!.report!.id);
      const rest = await internal.listReportsForConsole({ afterCursor: first.nextCursor, limit: 500 });
      const ids = rest.reports.map((c) => c.report!.id);
      expect(ids.length).toBeGreaterThan(0);
      expect(ids.every((id) => BigInt(id) > BigInt(first.nextCursor))).toBe(true);
      expect([...ids].sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : 1))).toEqual(ids);
      expect(rest.nextCursor).toBe('');
      await expectReason(internal.listReportsForConsole({ afterCursor: 'x', limit: 1 }), 'INVALID_ARGUMENT');
      await expectReason(internal.listReportsForConsole({ afterCursor: '', limit: 0 }), 'INVALID_ARGUMENT');
      await expectReason(internal.listReportsForConsole({ afterCursor: '', limit: 501 }), 'INVALID_ARGUMENT');
      await expectReason(
        internal.keepPost({ postId: 'x', moderatorId: '1', reason: 'r' }),
        'INVALID_ARGUMENT',
      );
      await expectReason(
        internal.keepPost({ postId: '1', moderatorId: '1', reason: ' ' }),
        'INVALID_ARGUMENT',
      );
      expect(await internal.keepPost({ postId: '123', moderatorId: '1', reason: 'r' })).toMatchObject({
        reportsClosed: 0,
      });
    });
  });
}
