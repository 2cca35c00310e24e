import { admin, moments } from '@mychat/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectReason } from '../../../test/helpers/auth-helpers.js';
import { connectAuthed, is } from '../../gateway/ws/ws.test-helpers.js';
import { befriend, sendText, setupAvailable } from '../../../test/helpers/contacts-helpers.js';
import {
  ADMIN_SETUPS,
  newUser,
  operator,
  startAdminEnv,
  stepUp,
  type AdminEnv,
} from './admin.test-helpers.js';

describe.each(ADMIN_SETUPS)('the console: reports, notices, groups ($name)', (setup) => {
  let env: AdminEnv;
  let available = true;
  beforeAll(async () => {
    available = await setupAvailable(setup);
    if (available) env = await startAdminEnv(setup);
  }, 60_000);
  afterAll(() => env?.stop());

  it('a message report keeps a snapshot; removal recalls it for everyone and closes every report of it', async (ctx) => {
    if (!available) return ctx.skip();
    const mod = await operator(env, 'Mod', 1);
    const [a, b, c] = [await newUser(env, 'Alice'), await newUser(env, 'Bob'), await newUser(env, 'Carol')];
    const conv = await befriend(env.api, a, b);
    const sent = await sendText(env, a, conv, 'buy cheap pills');
    const seq = sent.message!.seq;
    // Someone outside the chat cannot report (nor learn) it; bad input is refused.
    await expectReason(
      env.safety.reportMessage({ conversationId: conv, seq, reason: 'spam' }, c.h),
      'NOT_FOUND',
    );
    await expectReason(
      env.safety.reportMessage({ conversationId: conv, seq: 0, reason: '' }, b.h),
      'INVALID_ARGUMENT',
    );
    await expectReason(
      env.safety.reportMessage({ conversationId: 'x', seq, reason: '' }, b.h),
      'INVALID_ARGUMENT',
    );
    const { reportId } = await env.safety.reportMessage({ conversationId: conv, seq, reason: 'spam' }, b.h);
    await expectReason(
      env.safety.reportMessage({ conversationId: conv, seq, reason: 'again' }, b.h),
      'ALREADY_REPORTED',
    );
    const second = await env.safety.reportMessage({ conversationId: conv, seq, reason: 'scam' }, a.h);
    const queue = await env.console.listReports({}, mod.h);
    const mine = queue.reports.find((r) => r.id === reportId)!;
    expect(mine).toMatchObject({
      kind: 'message',
      targetId: `${conv}:${seq}`,
      reporterId: b.id,
      reason: 'spam',
      status: admin.ReportStatus.OPEN,
      snapshot: { authorId: a.id, authorNickname: 'Alice', text: 'buy cheap pills' },
    });
    await expectReason(
      env.console.resolveReport({ reportId, remove: true, reason: '' }, mod.h),
      'INVALID_ARGUMENT',
    );
    const done = await env.console.resolveReport({ reportId, remove: true, reason: 'spam link' }, mod.h);
    expect(done.report).toMatchObject({
      status: admin.ReportStatus.REMOVED,
      resolvedBy: mod.id,
      resolution: 'spam link',
    });
    await expectReason(
      env.console.resolveReport({ reportId, remove: false, reason: 'x' }, mod.h),
      'REPORT_RESOLVED',
    );
    await expectReason(
      env.console.resolveReport({ reportId: second.reportId, remove: false, reason: 'x' }, mod.h),
      'REPORT_RESOLVED',
    );
    // Recalled for both members; the snapshot stays in the queue.
    const history = await env.messages.getHistory({ conversationId: conv, beforeSeq: 0, limit: 10 }, b.h);
    const original = history.messages.find((m) => m.seq === seq)!;
    expect(original.recalled).toBe(true);
    const removed = await env.console.listReports({ status: admin.ReportStatus.REMOVED }, mod.h);
    expect(removed.reports.find((r) => r.id === reportId)?.snapshot?.text).toBe('buy cheap pills');
    const log = await env.console.getConsoleAccess({}, mod.h);
    expect(log.role).toBe(admin.ConsoleRole.MODERATOR);
  });

  it('keeping a report leaves the content; reports from other services come in through FileReport', async (ctx) => {
    if (!available) return ctx.skip();
    const op = await operator(env, 'Keeper');
    const [a, b] = [await newUser(env, 'Dora'), await newUser(env, 'Eve')];
    const conv = await befriend(env.api, a, b);
    const seq = (await sendText(env, a, conv, 'a joke')).message!.seq;
    const { reportId } = await env.safety.reportMessage({ conversationId: conv, seq, reason: 'rude' }, b.h);
    await env.console.resolveReport({ reportId, remove: false, reason: 'just a joke' }, op.h);
    const history = await env.messages.getHistory({ conversationId: conv, beforeSeq: 0, limit: 10 }, b.h);
    expect(history.messages.find((m) => m.seq === seq)?.recalled).toBe(false);
    const internal = env.server.app.value('rpc').client(admin.AdminInternalService);
    const filed = await internal.fileReport({
      kind: 'square_post',
      targetId: '12345',
      reporterId: b.id,
      reason: 'off topic',
      snapshot: { authorId: a.id, authorNickname: 'Dora', text: 'hello square' },
    });
    const open = await env.console.listReports({ limit: 100 }, op.h);
    expect(open.reports.find((r) => r.id === filed.reportId)).toMatchObject({
      kind: 'square_post',
      targetId: '12345',
    });
    await expectReason(
      internal.fileReport({ kind: 'Bad Kind', targetId: '1', reporterId: b.id, reason: '' }),
      'INVALID_ARGUMENT',
    );
    const audit = await env.console.listAuditLog({ actorId: op.id }, op.h);
    expect(audit.entries[0]).toMatchObject({
      action: 'report.keep',
      target: `report:${reportId}`,
      reason: 'just a joke',
    });
    await expectReason(
      env.console.listReports({ status: 9 as admin.ReportStatus }, op.h),
      'INVALID_ARGUMENT',
    );
    await expectReason(env.console.listReports({ limit: 1000 }, op.h), 'INVALID_ARGUMENT');
  });

  it('a moment report resolved with "remove" deletes the post through the moments service', async (ctx) => {
    if (!available) return ctx.skip();
    const mod = await operator(env, 'Moment mod', 1);
    const [author, friend] = [await newUser(env, 'Poster'), await newUser(env, 'Viewer')];
    await befriend(env.api, author, friend);
    const api = env.server.client(moments.MomentsService);
    const post = (await api.publishMoment({ text: 'rude words' }, author.h)).moment!;
    const internal = env.server.app.value('rpc').client(admin.AdminInternalService);
    const { reportId } = await internal.fileReport({
      kind: 'moment',
      targetId: post.id,
      reporterId: friend.id,
      reason: 'rude',
      snapshot: { authorId: author.id, text: 'rude words' },
    });
    await env.console.resolveReport({ reportId, remove: true, reason: 'insults' }, mod.h);
    await expectReason(api.getMoment({ momentId: post.id }, author.h), 'NOT_FOUND');
    await expectReason(api.getMoment({ momentId: post.id }, friend.h), 'NOT_FOUND');
    // Asking again: there is nothing left to remove.
    const m = env.server.app.value('rpc').client(moments.MomentsInternalService);
    expect(await m.removeMoment({ momentId: post.id })).toMatchObject({ removed: false });
    await expectReason(m.removeMoment({ momentId: 'x' }), 'INVALID_ARGUMENT');
    await expectReason(m.purgeUserMoments({ userId: '' }), 'INVALID_ARGUMENT');
  });

  it('a system notice reaches every user, live on every open socket', async (ctx) => {
    if (!available) return ctx.skip();
    const op = await operator(env, 'Announcer');
    const user = await newUser(env, 'Reader');
    const other = await newUser(env, 'Other reader');
    const sockets = [
      await connectAuthed(env.server, user.h.headers.authorization.slice(7)),
      await connectAuthed(env.server, other.h.headers.authorization.slice(7)),
    ];
    await stepUp(env, op);
    await expectReason(env.console.publishSystemNotice({ title: '', body: 'x' }, op.h), 'INVALID_ARGUMENT');
    await expectReason(
      env.console.publishSystemNotice({ title: 't'.repeat(201), body: '' }, op.h),
      'FIELD_TOO_LONG',
    );
    const n = await env.console.publishSystemNotice(
      { title: 'Upgrade tonight', body: '22:00-23:00 UTC' },
      op.h,
    );
    const seen = await env.safety.listSystemNotices({}, user.h);
    expect(seen.notices[0]).toMatchObject({
      id: n.notice!.id,
      title: 'Upgrade tonight',
      body: '22:00-23:00 UTC',
    });
    for (const s of sockets) {
      const { frame } = await s.next(is('systemNotice'), 2_000);
      expect(frame.body.value).toMatchObject({
        id: n.notice!.id,
        title: 'Upgrade tonight',
        body: '22:00-23:00 UTC',
      });
      s.ws.close();
    }
  });

  it('inspects, transfers and dissolves a group the operator is not in', async (ctx) => {
    if (!available) return ctx.skip();
    const op = await operator(env, 'GroupOp');
    const [owner, m1] = [await newUser(env, 'Owner'), await newUser(env, 'Member')];
    await befriend(env.api, owner, m1);
    const g = (await env.api.createGroup({ name: 'Hobby', memberIds: [m1.id] }, owner.h)).group!;
    const seen = await env.console.inspectGroup({ groupId: g.id }, op.h);
    expect(seen.group).toMatchObject({ id: g.id, name: 'Hobby', ownerId: owner.id });
    expect(seen.group!.members.map((m) => m.userId).sort()).toEqual([owner.id, m1.id].sort());
    await expectReason(env.console.inspectGroup({ groupId: '999999999' }, op.h), 'NOT_FOUND');
    await stepUp(env, op);
    const outsider = await newUser(env, 'Outsider');
    await expectReason(
      env.console.transferGroup({ groupId: g.id, newOwnerId: outsider.id, reason: 'x' }, op.h),
      'NOT_A_MEMBER',
    );
    const t = await env.console.transferGroup(
      { groupId: g.id, newOwnerId: m1.id, reason: 'owner left the company' },
      op.h,
    );
    expect(t.group).toMatchObject({ ownerId: m1.id });
    expect((await env.api.getGroup({ groupId: g.id }, m1.h)).group?.myRole).toBe(3);
    expect((await env.api.getGroup({ groupId: g.id }, owner.h)).group?.myRole).toBe(2);
    await env.console.dissolveGroup({ groupId: g.id, reason: 'illegal content' }, op.h);
    await expectReason(env.api.getGroup({ groupId: g.id }, m1.h), 'NOT_FOUND');
    await expectReason(env.console.inspectGroup({ groupId: g.id }, op.h), 'NOT_FOUND');
    const audit = await env.console.listAuditLog({ target: `group:${g.id}` }, op.h);
    expect(audit.entries.map((e) => e.action)).toEqual(['group.dissolve', 'group.transfer']);
  });
});
