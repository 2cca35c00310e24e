import { Code, type ConnectError } from '@connectrpc/connect';
import { admin, auth, moments as momentsPb } from '@mychat/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { device, expectReason } from '../../../test/helpers/auth-helpers.js';
import { setupAvailable } from '../../../test/helpers/contacts-helpers.js';
import { startTestServer } from '../../../test/helpers/test-server.js';
import { closedWithin, connectAuthed } from '../../gateway/ws/ws.test-helpers.js';
import {
  ADMIN_SETUPS,
  newUser,
  operator,
  PASSWORD,
  startAdminEnv,
  stepUp,
  type AdminEnv,
} from './admin.test-helpers.js';

/** Methods a moderator may call; every other one is for admins. */
const MODERATOR_METHODS = new Set([
  'GetConsoleAccess',
  'ConfirmPassword',
  'GetDashboard',
  'InspectGroup',
  'ListReports',
  'ResolveReport',
]);

/** Calls one AdminService method by its descriptor with an empty request. */
function call(env: AdminEnv, name: string, h: object): Promise<unknown> {
  const method =
    admin.AdminService.method[
      (name[0]!.toLowerCase() + name.slice(1)) as keyof typeof admin.AdminService.method
    ];
  const fn = (env.console as unknown as Record<string, (req: object, o: object) => Promise<unknown>>)[
    method.localName
  ]!;
  return fn.call(env.console, {}, h);
}

describe.each(ADMIN_SETUPS)('the console: access, step-up, disabling ($name)', (setup) => {
  let env: AdminEnv;
  let available = true;
  beforeAll(async () => {
    available = await setupAvailable(setup);
    if (available) env = await startAdminEnv(setup);
  }, 60_000);
  afterAll(() => env?.stop());

  it('refuses a user without a console role from every AdminService method', async (ctx) => {
    if (!available) return ctx.skip();
    const user = await newUser(env, 'Plain');
    const names = admin.AdminService.methods.map((m) => m.name);
    expect(names).toHaveLength(18); // 16 of the console and the two sticker-pack methods
    for (const name of names) await expectReason(call(env, name, user.h), 'ADMIN_REQUIRED');
    // Without a token at all: the gateway refuses before the service.
    for (const name of names) {
      const err = await call(env, name, {}).catch((e: unknown) => e);
      expect((err as ConnectError).code, name).toBe(Code.Unauthenticated);
    }
  });

  it('lets a moderator read and handle reports, and nothing that is for admins', async (ctx) => {
    if (!available) return ctx.skip();
    const mod = await operator(env, 'Moderator', 1);
    expect((await env.console.getConsoleAccess({}, mod.h)).role).toBe(admin.ConsoleRole.MODERATOR);
    for (const m of admin.AdminService.methods) {
      if (MODERATOR_METHODS.has(m.name)) continue;
      await expectReason(call(env, m.name, mod.h), 'ADMIN_REQUIRED');
    }
    await expect(env.console.getDashboard({}, mod.h)).resolves.toBeDefined();
  });

  it('a role taken away counts at once; a disabled operator is refused', async (ctx) => {
    if (!available) return ctx.skip();
    const op = await operator(env, 'Shortlived');
    await env.console.getConsoleAccess({}, op.h);
    await env.directory.setAccountRole({ userId: op.id, role: 0 });
    await expectReason(env.console.getConsoleAccess({}, op.h), 'ADMIN_REQUIRED');
  });

  it('refuses destructive actions without the password again, and a wrong password', async (ctx) => {
    if (!available) return ctx.skip();
    const op = await operator(env, 'Careful');
    const target = await newUser(env, 'Target');
    const access = await env.console.getConsoleAccess({}, op.h);
    expect(access.stepUpUntil).toBeUndefined();
    const reason = 'spam';
    await expectReason(
      env.console.setAccountDisabled({ userId: target.id, disabled: true, reason }, op.h),
      'STEP_UP_REQUIRED',
    );
    await expectReason(
      env.console.resetAccountPassword({ userId: target.id, reason }, op.h),
      'STEP_UP_REQUIRED',
    );
    await expectReason(env.console.deleteAccount({ userId: target.id, reason }, op.h), 'STEP_UP_REQUIRED');
    await expectReason(
      env.console.setAccountRole({ userId: target.id, role: 1, reason }, op.h),
      'STEP_UP_REQUIRED',
    );
    await expectReason(env.console.dissolveGroup({ groupId: '123', reason }, op.h), 'STEP_UP_REQUIRED');
    await expectReason(
      env.console.transferGroup({ groupId: '123', newOwnerId: target.id, reason }, op.h),
      'STEP_UP_REQUIRED',
    );
    await expectReason(env.console.publishSystemNotice({ title: 'x', body: '' }, op.h), 'STEP_UP_REQUIRED');
    await expectReason(
      env.console.confirmPassword({ password: 'not-the-password-1' }, op.h),
      'INVALID_CREDENTIALS',
    );
    await expectReason(
      env.console.setAccountDisabled({ userId: target.id, disabled: true, reason }, op.h),
      'STEP_UP_REQUIRED',
    );
    // The step-up is per session: another session of the same admin still needs its own.
    await stepUp(env, op);
    expect((await env.console.getConsoleAccess({}, op.h)).stepUpUntil).toBeDefined();
    const other = await env.authApi.login({
      destination: { case: 'email', value: op.email },
      credential: { case: 'password', value: PASSWORD },
      device: device('pc', 'pc-1'),
    });
    await expectReason(
      env.console.setAccountDisabled(
        { userId: target.id, disabled: true, reason },
        { headers: { authorization: `Bearer ${other.session!.accessToken}` } },
      ),
      'STEP_UP_REQUIRED',
    );
    // No reason, no action; and never on oneself.
    await expectReason(
      env.console.setAccountDisabled({ userId: target.id, disabled: true, reason: '  ' }, op.h),
      'INVALID_ARGUMENT',
    );
    await expectReason(
      env.console.setAccountDisabled({ userId: op.id, disabled: true, reason }, op.h),
      'ADMIN_SELF_ACTION',
    );
    await expectReason(
      env.console.setAccountDisabled({ userId: '999999999', disabled: true, reason }, op.h),
      'NOT_FOUND',
    );
  });

  it('disabling closes every socket of the account within 1 s and refuses the right password', async (ctx) => {
    if (!available) return ctx.skip();
    const op = await operator(env, 'Enforcer');
    const target = await newUser(env, 'Abuser');
    const pc = await env.authApi.login({
      destination: { case: 'email', value: target.email },
      credential: { case: 'password', value: PASSWORD },
      device: device('pc', 'pc-9'),
    });
    const web = await connectAuthed(env.server, target.h.headers.authorization.slice(7));
    const desk = await connectAuthed(env.server, pc.session!.accessToken);
    await stepUp(env, op);
    const res = await env.console.setAccountDisabled(
      { userId: target.id, disabled: true, reason: 'abuse' },
      op.h,
    );
    expect(res.account).toMatchObject({ id: target.id, disabled: true, sessions: 0 });
    expect(await closedWithin(web, 1000)).toBeDefined();
    expect(await closedWithin(desk, 1000)).toBeDefined();
    const login = (password: string) =>
      env.authApi.login({
        destination: { case: 'email', value: target.email },
        credential: { case: 'password', value: password },
        device: device('web', 'dev-1'),
      });
    await expectReason(login(PASSWORD), 'ACCOUNT_DISABLED');
    await expectReason(login('wrong-password-123'), 'INVALID_CREDENTIALS');
    await expectReason(
      env.authApi.refreshSession({ refreshToken: pc.session!.refreshToken }),
      'SESSION_REVOKED',
    );
    await expectReason(env.authApi.getMe({}, target.h), 'SESSION_REVOKED');
    await env.console.setAccountDisabled(
      { userId: target.id, disabled: false, reason: 'appeal accepted' },
      op.h,
    );
    expect((await login(PASSWORD)).session?.user?.id).toBe(target.id);
  });

  it('searches accounts, lists devices, resets a password (shown once, sessions end)', async (ctx) => {
    if (!available) return ctx.skip();
    const op = await operator(env, 'Helper');
    const target = await newUser(env, 'Forgetful');
    const found = await env.console.searchAccounts({ query: target.email }, op.h);
    expect(found.accounts).toMatchObject([
      { id: target.id, email: target.email, disabled: false, sessions: 1 },
    ]);
    await expectReason(env.console.searchAccounts({ query: 'x'.repeat(300) }, op.h), 'FIELD_TOO_LONG');
    const devices = await env.console.listAccountDevices({ userId: target.id }, op.h);
    expect(devices.devices).toMatchObject([{ sessionId: target.sessionId, clientType: 'web' }]);
    await expectReason(env.console.listAccountDevices({ userId: 'abc' }, op.h), 'INVALID_ARGUMENT');
    await stepUp(env, op);
    const { temporaryPassword } = await env.console.resetAccountPassword(
      { userId: target.id, reason: 'owner asked by phone' },
      op.h,
    );
    expect(temporaryPassword.length).toBeGreaterThanOrEqual(16);
    await expectReason(env.authApi.getMe({}, target.h), 'SESSION_REVOKED');
    const again = await env.authApi.login({
      destination: { case: 'email', value: target.email },
      credential: { case: 'password', value: temporaryPassword },
      device: device(),
    });
    expect(again.session?.user?.id).toBe(target.id);
    expect(env.server.logs.some((l) => l.includes(temporaryPassword))).toBe(false);
  });

  it('every action writes an audit row (actor, action, target, reason, request id)', async (ctx) => {
    if (!available) return ctx.skip();
    const op = await operator(env, 'Auditor');
    const target = await newUser(env, 'Audited');
    await stepUp(env, op);
    await env.console.setAccountRole({ userId: target.id, role: 1, reason: 'new moderator' }, op.h);
    await env.console.setAccountDisabled({ userId: target.id, disabled: true, reason: 'r1' }, op.h);
    await env.console.setAccountDisabled({ userId: target.id, disabled: false, reason: 'r2' }, op.h);
    await env.console.resetAccountPassword({ userId: target.id, reason: 'r3' }, op.h);
    await env.console.publishSystemNotice({ title: 'Maintenance', body: 'tonight' }, op.h);
    await env.console.deleteAccount({ userId: target.id, reason: 'r4' }, op.h);
    const log = await env.console.listAuditLog({ actorId: op.id }, op.h);
    expect(log.entries.map((e) => e.action).reverse()).toEqual([
      'step_up',
      'user.role.moderator',
      'user.disable',
      'user.enable',
      'user.reset_password',
      'notice.publish',
      'user.delete',
    ]);
    for (const e of log.entries) {
      expect(e.actorId).toBe(op.id);
      expect(e.requestId).not.toBe('');
      expect(e.at).toBeDefined();
    }
    expect(log.entries[0]).toMatchObject({ target: `user:${target.id}`, reason: 'r4' });
    // Only reads: no method of the console changes or removes an audit row.
    const mutating = admin.AdminService.methods.filter(
      (m) => /audit/i.test(m.name) && !m.name.startsWith('List'),
    );
    expect(mutating).toEqual([]);
    const byTarget = await env.console.listAuditLog({ target: `user:${target.id}`, limit: 2 }, op.h);
    expect(byTarget.entries).toHaveLength(2);
    const next = await env.console.listAuditLog(
      { target: `user:${target.id}`, cursor: byTarget.nextCursor },
      op.h,
    );
    expect(next.entries.map((e) => e.action)).toEqual(['user.enable', 'user.disable', 'user.role.moderator']);
  });

  it('deleting an account purges it: profile, sessions, friendships', async (ctx) => {
    if (!available) return ctx.skip();
    const op = await operator(env, 'Remover');
    const target = await newUser(env, 'Leaving');
    const friend = await newUser(env, 'Friend');
    const sent = await env.api.sendFriendRequest({ userId: target.id, note: '' }, friend.h);
    await env.api.respondFriendRequest({ requestId: sent.request!.id, action: 'accept' }, target.h);
    const group = await env.api.createGroup({ name: 'Club', memberIds: [friend.id] }, target.h);
    const moments = env.server.client(momentsPb.MomentsService);
    const posted = (await moments.publishMoment({ text: 'my last post' }, target.h)).moment!;
    await moments.likeMoment({ momentId: posted.id }, friend.h);
    await stepUp(env, op);
    await env.console.deleteAccount({ userId: target.id, reason: 'owner asked' }, op.h);
    // Its moments are gone for its friends too.
    await expectReason(moments.getMoment({ momentId: posted.id }, friend.h), 'NOT_FOUND');
    await expectReason(env.authApi.getMe({}, target.h), 'SESSION_REVOKED');
    expect((await env.directory.getAccounts({ userIds: [target.id] })).accounts).toEqual([]);
    expect((await env.api.listFriends({}, friend.h)).friends).toEqual([]);
    // The group passed to the remaining member.
    const g = await env.console.inspectGroup({ groupId: group.group!.id }, op.h);
    expect(g.group).toMatchObject({ ownerId: friend.id, members: [{ userId: friend.id, role: 3 }] });
    await expectReason(
      env.authApi.login({
        destination: { case: 'email', value: target.email },
        credential: { case: 'password', value: PASSWORD },
        device: device(),
      }),
      'INVALID_CREDENTIALS',
    );
  });

  it('the dashboard counts accounts, sockets, stored messages and open reports', async (ctx) => {
    if (!available) return ctx.skip();
    const op = await operator(env, 'Watcher');
    const before = await env.console.getDashboard({}, op.h);
    const s = await connectAuthed(env.server, op.h.headers.authorization.slice(7));
    const after = await env.console.getDashboard({}, op.h);
    expect(Number(after.usersOnline)).toBe(Number(before.usersOnline) + 1);
    expect(Number(after.accounts)).toBeGreaterThanOrEqual(2);
    expect(after.messagesPerSecond).toBeGreaterThanOrEqual(0);
    s.ws.close();
  });
});

describe('admin.enabled=false', () => {
  it('removes the console routes; reports and notices stay', async () => {
    const server = await startTestServer({ overrides: { admin: { enabled: false } } });
    try {
      const res = await fetch(`${server.baseUrl}/mychat.admin.v1.AdminService/GetConsoleAccess`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{}',
      });
      expect(res.status).toBe(404);
      const safety = await fetch(`${server.baseUrl}/mychat.admin.v1.SafetyService/ListSystemNotices`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{}',
      });
      expect(safety.status).toBe(401);
      expect(server.client(auth.AuthService)).toBeDefined();
    } finally {
      await server.stop();
    }
  });
});
