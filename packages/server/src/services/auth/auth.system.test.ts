import { auth } from '@mychat/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backendAvailable, backendUrls, uniqueName } from '../../../test/helpers/backends.js';
import {
  bearer,
  device,
  expectReason,
  PASSWORD,
  signUp,
  uniqueEmail,
  uniquePhone,
  type AuthClient,
} from '../../../test/helpers/auth-helpers.js';
import { createTestDatabaseUrl, dropTestDatabase } from '../../../test/helpers/sql-databases.js';
import { startTestServer, type TestServer } from '../../../test/helpers/test-server.js';
import { latestMailTo, readOutboxMails } from '../../../test/helpers/outbox.js';

/**
 * The account suite, run through the public Connect edge of a real server on every
 * SQL engine, with the in-memory kv and with Redis.
 */
const setups = [
  { name: 'SQLite + memory kv', engine: 'sqlite' as const, redis: false },
  { name: 'SQLite + Redis', engine: 'sqlite' as const, redis: true },
  { name: 'MariaDB + Redis', engine: 'mysql' as const, redis: true },
  { name: 'PostgreSQL + Redis', engine: 'postgres' as const, redis: true },
];

for (const setup of setups) {
  const ok =
    (setup.engine === 'sqlite' || (await backendAvailable(setup.engine))) &&
    (!setup.redis || (await backendAvailable('redis')));

  describe.skipIf(!ok)(`accounts on ${setup.name}`, () => {
    let server: TestServer;
    let api: AuthClient;
    let sqlUrl: string | undefined;
    /** Every secret the suite handled; none may appear in any log line. */
    const secrets = new Set<string>();

    beforeAll(async () => {
      sqlUrl = setup.engine === 'sqlite' ? undefined : await createTestDatabaseUrl(setup.engine);
      server = await startTestServer({
        sqlUrl,
        redisUrl: setup.redis ? backendUrls.redis : undefined,
        redisPrefix: uniqueName('acct') + ':',
        overrides: { auth: { loginFailuresPerWindow: 3 } },
      });
      api = server.client(auth.AuthService);
    });

    afterAll(async () => {
      await server?.stop();
      if (sqlUrl) await dropTestDatabase(sqlUrl);
      // The whole suite's captured log never holds a password, code or token.
      const all = server.logs.join('\n');
      expect(server.logs.length).toBeGreaterThan(10);
      // A 6-digit code is looked for as a number of its own: inside the 18-digit ids and the
      // timestamps of a long log, any six digits turn up by chance now and then.
      const leaked = (s: string) =>
        /^\d+$/.test(s) ? new RegExp(`(?<!\\d)${s}(?!\\d)`).test(all) : all.includes(s);
      for (const s of secrets) expect(leaked(s), `a secret leaked into the logs`).toBe(false);
    });

    const remember = (...values: (string | undefined)[]) => {
      for (const v of values) if (v) secrets.add(v);
    };
    const signUpHere = async (opts: Parameters<typeof signUp>[2] = {}) => {
      const r = await signUp(server, api, opts);
      remember(r.code, r.session.accessToken, r.session.refreshToken, opts.password ?? PASSWORD);
      return r;
    };

    it('signs up with an email code, logs in, refreshes and reads the profile', async () => {
      const { email, session } = await signUpHere({ nickname: '小明' });
      expect(session.user?.email).toBe(email);
      expect(session.user?.nickname).toBe('小明');
      expect(session.expiresAt!.seconds - BigInt(Math.floor(Date.now() / 1000))).toBeGreaterThan(500n);

      const me = await api.getMe({}, bearer(session.accessToken));
      expect(me.user?.id).toBe(session.user?.id);

      const login = await api.login({
        destination: { case: 'email', value: email.toUpperCase() },
        credential: { case: 'password', value: PASSWORD },
        device: device('pc', 'desk-1', 'Desktop'),
      });
      remember(login.session?.accessToken, login.session?.refreshToken);
      expect(login.session?.user?.id).toBe(session.user?.id);

      const refreshed = await api.refreshSession({ refreshToken: login.session!.refreshToken });
      remember(refreshed.session?.accessToken, refreshed.session?.refreshToken);
      expect(refreshed.session?.refreshToken).not.toBe(login.session!.refreshToken);
      expect(refreshed.session?.sessionId).toBe(login.session?.sessionId);
      const me2 = await api.getMe({}, bearer(refreshed.session!.accessToken));
      expect(me2.user?.email).toBe(email);
    });

    it('speaks the binary protocol too', async () => {
      const bin = server.client(auth.AuthService, { binary: true });
      const { session } = await signUpHere();
      const me = await bin.getMe({}, bearer(session.accessToken));
      expect(me.user?.id).toBe(session.user?.id);
    });

    it('signs up with a phone code from the SMS outbox and logs in with a login code', async () => {
      const phone = uniquePhone();
      await api.sendVerificationCode({
        destination: { case: 'phone', value: phone },
        purpose: 'register',
        locale: 'zh-CN',
      });
      const code = await server.codeFor(phone);
      const reg = await api.register({
        destination: { case: 'phone', value: phone },
        code,
        password: PASSWORD,
        nickname: 'Phone',
        device: device(),
      });
      remember(code, reg.session?.accessToken, reg.session?.refreshToken);
      expect(reg.session?.user?.phone).toBe(phone);
      // Skip the 60 s resend cooldown rather than wait it out.
      await server.app.value('kv').del(`auth:send-cooldown:phone:${phone}`);
      await api.sendVerificationCode({
        destination: { case: 'phone', value: phone },
        purpose: 'login',
        locale: 'en',
      });
      const loginCode = await server.codeFor(phone);
      remember(loginCode);
      const login = await api.login({
        destination: { case: 'phone', value: phone },
        credential: { case: 'code', value: loginCode },
        device: device('ios', 'iphone'),
      });
      remember(login.session?.accessToken, login.session?.refreshToken);
      expect(login.session?.user?.id).toBe(reg.session?.user?.id);
    });

    it('a new login of the same client type kicks the older session; other types stay', async () => {
      const { email, session: first } = await signUpHere({ deviceId: 'laptop' });
      const pc = await api.login({
        destination: { case: 'email', value: email },
        credential: { case: 'password', value: PASSWORD },
        device: device('pc', 'desk'),
      });
      const second = await api.login({
        destination: { case: 'email', value: email },
        credential: { case: 'password', value: PASSWORD },
        device: device('web', 'phone-browser'),
      });
      remember(
        pc.session?.accessToken,
        pc.session?.refreshToken,
        second.session?.accessToken,
        second.session?.refreshToken,
      );

      await expectReason(api.getMe({}, bearer(first.accessToken)), 'SESSION_REVOKED');
      await expectReason(api.refreshSession({ refreshToken: first.refreshToken }), 'SESSION_REVOKED');
      expect((await api.getMe({}, bearer(second.session!.accessToken))).user?.email).toBe(email);
      expect((await api.getMe({}, bearer(pc.session!.accessToken))).user?.email).toBe(email);

      const list = await api.listDevices({}, bearer(second.session!.accessToken));
      expect(list.devices.map((d) => d.device?.clientType).sort()).toEqual(['pc', 'web']);
      expect(list.devices.find((d) => d.current)?.device?.deviceId).toBe('phone-browser');

      await api.revokeDevice({ sessionId: pc.session!.sessionId }, bearer(second.session!.accessToken));
      await expectReason(api.getMe({}, bearer(pc.session!.accessToken)), 'SESSION_REVOKED');
      await expectReason(
        api.revokeDevice({ sessionId: first.sessionId + '9' }, bearer(second.session!.accessToken)),
        'NOT_FOUND',
      );
    });

    it('logout ends the session at once', async () => {
      const { session } = await signUpHere();
      await api.logout({}, bearer(session.accessToken));
      await expectReason(api.getMe({}, bearer(session.accessToken)), 'SESSION_REVOKED');
      await expectReason(api.refreshSession({ refreshToken: session.refreshToken }), 'SESSION_REVOKED');
    });

    it('a reused refresh token revokes the whole family', async () => {
      const { session } = await signUpHere();
      const next = await api.refreshSession({ refreshToken: session.refreshToken });
      remember(next.session?.accessToken, next.session?.refreshToken);
      await expectReason(api.refreshSession({ refreshToken: session.refreshToken }), 'REFRESH_TOKEN_REUSED');
      // The thief's copy and the rightful holder's newer token are both dead now.
      await expectReason(api.refreshSession({ refreshToken: next.session!.refreshToken }), 'SESSION_REVOKED');
      await expectReason(api.getMe({}, bearer(next.session!.accessToken)), 'SESSION_REVOKED');
      await expectReason(api.refreshSession({ refreshToken: 'not-a-token' }), 'TOKEN_INVALID');
    });

    it('resets a forgotten password with a code and ends every session', async () => {
      const { email, session } = await signUpHere();
      await server.app.value('kv').del(`auth:send-cooldown:email:${email}`);
      await api.sendVerificationCode({
        destination: { case: 'email', value: email },
        purpose: 'reset-password',
        locale: 'en',
      });
      const code = await server.codeFor(email);
      const newPassword = 'quiet-lantern-93';
      remember(code, newPassword);
      await expectReason(
        api.resetPassword({ destination: { case: 'email', value: email }, code, newPassword: 'password1' }),
        'WEAK_PASSWORD',
      );
      await api.resetPassword({ destination: { case: 'email', value: email }, code, newPassword });
      await expectReason(api.getMe({}, bearer(session.accessToken)), 'SESSION_REVOKED');
      await expectReason(
        api.login({
          destination: { case: 'email', value: email },
          credential: { case: 'password', value: PASSWORD },
          device: device(),
        }),
        'INVALID_CREDENTIALS',
      );
      const login = await api.login({
        destination: { case: 'email', value: email },
        credential: { case: 'password', value: newPassword },
        device: device(),
      });
      remember(login.session?.accessToken, login.session?.refreshToken);
      expect(login.session?.user?.email).toBe(email);
    });

    it('changes the password and ends the other sessions', async () => {
      const { email, session } = await signUpHere();
      const pc = await api.login({
        destination: { case: 'email', value: email },
        credential: { case: 'password', value: PASSWORD },
        device: device('pc', 'd'),
      });
      remember(pc.session?.accessToken, pc.session?.refreshToken);
      await expectReason(
        api.changePassword(
          { oldPassword: 'wrong-password-1', newPassword: 'amber-meadow-55' },
          bearer(session.accessToken),
        ),
        'INVALID_CREDENTIALS',
      );
      await api.changePassword(
        { oldPassword: PASSWORD, newPassword: 'amber-meadow-55' },
        bearer(session.accessToken),
      );
      remember('amber-meadow-55');
      await expectReason(api.getMe({}, bearer(pc.session!.accessToken)), 'SESSION_REVOKED');
      expect((await api.getMe({}, bearer(session.accessToken))).user?.email).toBe(email);
    });

    it('updates the profile and refuses oversized or malformed fields', async () => {
      const { session } = await signUpHere();
      const r = await api.updateProfile(
        { nickname: ' Ana ', signature: 'hello' },
        bearer(session.accessToken),
      );
      expect(r.user?.nickname).toBe('Ana');
      expect(r.user?.signature).toBe('hello');
      const me = await api.getMe({}, bearer(session.accessToken));
      expect(me.user?.nickname).toBe('Ana');
      await expectReason(
        api.updateProfile({ nickname: 'x'.repeat(33) }, bearer(session.accessToken)),
        'FIELD_TOO_LONG',
      );
      await expectReason(
        api.updateProfile({ avatarUrl: 'javascript:alert(1)' }, bearer(session.accessToken)),
        'INVALID_ARGUMENT',
      );
      await expectReason(
        api.updateProfile({ nickname: '\u0007' }, bearer(session.accessToken)),
        'INVALID_NICKNAME',
      );
    });

    it('answers the same whether or not an account exists, and never registers one twice', async () => {
      const { email } = await signUpHere();
      const stranger = uniqueEmail('nobody');
      await server.app.value('kv').del(`auth:send-cooldown:email:${email}`);
      const a = await api.sendVerificationCode({
        destination: { case: 'email', value: email },
        purpose: 'register',
        locale: 'en',
      });
      const b = await api.sendVerificationCode({
        destination: { case: 'email', value: stranger },
        purpose: 'login',
        locale: 'en',
      });
      expect(a).toEqual(b);
      // The account holder gets a notice without a code; the stranger gets nothing.
      await expect
        .poll(async () => (await latestMailTo(server.outboxDir, email))?.subject)
        .toMatch(/already have/i);
      const notice = await latestMailTo(server.outboxDir, email);
      expect(notice!.text).not.toMatch(/\b\d{6}\b/);
      expect(await latestMailTo(server.outboxDir, stranger)).toBeUndefined();
      // Duplicate registration: the code stored for a registered address is never sent, so
      // Register is refused as for any wrong code (as it would be for a new address).
      await expectReason(
        api.register({
          destination: { case: 'email', value: email },
          code: '123456',
          password: PASSWORD,
          nickname: 'Dup',
          device: device(),
        }),
        'CODE_INVALID',
      );
      await expectReason(
        api.login({
          destination: { case: 'email', value: stranger },
          credential: { case: 'password', value: PASSWORD },
          device: device(),
        }),
        'INVALID_CREDENTIALS',
      );
    });

    describe('bad input', () => {
      it('refuses malformed emails and phones, purposes and devices', async () => {
        await expectReason(
          api.sendVerificationCode({
            destination: { case: 'email', value: 'not-an-email' },
            purpose: 'register',
          }),
          'INVALID_EMAIL',
        );
        await expectReason(
          api.sendVerificationCode({ destination: { case: 'email', value: 'a@b' }, purpose: 'register' }),
          'INVALID_EMAIL',
        );
        await expectReason(
          api.sendVerificationCode({ destination: { case: 'phone', value: '12345' }, purpose: 'register' }),
          'INVALID_PHONE',
        );
        await expectReason(
          api.sendVerificationCode({ destination: { case: undefined }, purpose: 'register' }),
          'INVALID_ARGUMENT',
        );
        await expectReason(
          api.sendVerificationCode({
            destination: { case: 'email', value: uniqueEmail() },
            purpose: 'delete-account',
          }),
          'INVALID_PURPOSE',
        );
        await expectReason(
          api.login({
            destination: { case: 'email', value: uniqueEmail() },
            credential: { case: 'password', value: PASSWORD },
            device: device('fridge'),
          }),
          'INVALID_DEVICE',
        );
        await expectReason(
          api.login({
            destination: { case: 'email', value: uniqueEmail() },
            credential: { case: 'password', value: PASSWORD },
          }),
          'INVALID_DEVICE',
        );
      });

      it('refuses a wrong code, a reused code, and the 6th try even when it is right', async () => {
        const email = uniqueEmail();
        const dest = { case: 'email' as const, value: email };
        await api.sendVerificationCode({ destination: dest, purpose: 'register' });
        const code = await server.codeFor(email);
        remember(code);
        const wrong = code === '000000' ? '000001' : '000000';
        const reg = (c: string) =>
          api.register({ destination: dest, code: c, password: PASSWORD, nickname: 'N', device: device() });
        await expectReason(reg('12ab56'), 'CODE_INVALID');
        // A malformed code is refused before it counts as a try; these five count.
        for (let i = 0; i < 5; i++) await expectReason(reg(wrong), 'CODE_INVALID');
        await expectReason(reg(code), 'CODE_TOO_MANY_ATTEMPTS');

        const email2 = uniqueEmail();
        const dest2 = { case: 'email' as const, value: email2 };
        await api.sendVerificationCode({ destination: dest2, purpose: 'register' });
        const code2 = await server.codeFor(email2);
        remember(code2);
        const ok = await api.register({
          destination: dest2,
          code: code2,
          password: PASSWORD,
          nickname: 'N',
          device: device(),
        });
        remember(ok.session?.accessToken, ok.session?.refreshToken);
        await expectReason(
          api.register({
            destination: dest2,
            code: code2,
            password: PASSWORD,
            nickname: 'N',
            device: device(),
          }),
          'CODE_USED',
        );
      });

      it('limits code sends per destination', async () => {
        const dest = { case: 'email' as const, value: uniqueEmail() };
        await api.sendVerificationCode({ destination: dest, purpose: 'register' });
        const err = await expectReason(
          api.sendVerificationCode({ destination: dest, purpose: 'register' }),
          'RATE_LIMITED',
        );
        const { errorInfoOf } = await import('../../kernel/errors.js');
        expect(errorInfoOf(err)!.retryAfterSeconds).toBeGreaterThan(50);
        expect(err.code).toBe(8); // resource_exhausted
      });

      it('refuses weak passwords', async () => {
        const email = uniqueEmail('weak');
        const dest = { case: 'email' as const, value: email };
        await api.sendVerificationCode({ destination: dest, purpose: 'register' });
        const code = await server.codeFor(email);
        remember(code);
        const reg = (password: string) =>
          api.register({ destination: dest, code, password, nickname: 'N', device: device() });
        await expectReason(reg('short1'), 'WEAK_PASSWORD');
        await expectReason(reg('password123'), 'WEAK_PASSWORD');
        await expectReason(reg('12345678'), 'WEAK_PASSWORD');
        await expectReason(reg('aaaaaaaaaa'), 'WEAK_PASSWORD');
        await expectReason(reg('x'.repeat(129)), 'FIELD_TOO_LONG');
        // None of those spent the code: the right password still registers.
        const ok = await reg('granite-willow-12');
        remember(ok.session?.accessToken, ok.session?.refreshToken);
        expect(ok.session?.user?.email).toBe(email);
      });

      it('refuses oversized fields and bodies', async () => {
        const dest = { case: 'email' as const, value: uniqueEmail() };
        const reg = (over: object) =>
          api.register({
            destination: dest,
            code: '123456',
            password: PASSWORD,
            nickname: 'N',
            device: device(),
            ...over,
          });
        await expectReason(reg({ nickname: '名'.repeat(33) }), 'FIELD_TOO_LONG');
        await expectReason(reg({ device: device('web', 'd'.repeat(65)) }), 'FIELD_TOO_LONG');
        await expectReason(reg({ device: device('web', 'd', 'n'.repeat(65)) }), 'FIELD_TOO_LONG');
        await expectReason(
          api.sendVerificationCode({
            destination: { case: 'email', value: 'a'.repeat(250) + '@example.com' },
            purpose: 'register',
          }),
          'FIELD_TOO_LONG',
        );
        const res = await fetch(`${server.baseUrl}/mychat.auth.v1.AuthService/Login`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ email: 'a@example.com', password: 'x'.repeat(70_000) }),
        });
        // Not resource_exhausted (429), which reads as rate limiting: see connect-edge-errors.test.ts.
        expect(res.status).toBe(400);
        expect(((await res.json()) as { code: string }).code).toBe('invalid_argument');
        const bad = await fetch(`${server.baseUrl}/mychat.auth.v1.AuthService/Login`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: '{"email": ',
        });
        expect(bad.status).toBe(400);
      });

      it('slows password guessing down', async () => {
        const { email } = await signUpHere();
        const guess = () =>
          api.login({
            destination: { case: 'email', value: email },
            credential: { case: 'password', value: 'guess-guess-1' },
            device: device(),
          });
        for (let i = 0; i < 3; i++) await expectReason(guess(), 'INVALID_CREDENTIALS');
        await expectReason(guess(), 'RATE_LIMITED');
      });

      it('refuses missing, tampered, alg:none and foreign tokens, and forged identity headers', async () => {
        const { session } = await signUpHere();
        await expectReason(api.getMe({}), 'UNAUTHENTICATED');
        await expectReason(api.getMe({}, bearer('')), 'UNAUTHENTICATED');
        const [h, p, s] = session.accessToken.split('.') as [string, string, string];
        const claims = JSON.parse(Buffer.from(p, 'base64url').toString()) as Record<string, unknown>;
        const forged = Buffer.from(JSON.stringify({ ...claims, sub: '1' })).toString('base64url');
        await expectReason(api.getMe({}, bearer(`${h}.${forged}.${s}`)), 'TOKEN_INVALID');
        const none = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url');
        await expectReason(api.getMe({}, bearer(`${none}.${p}.`)), 'TOKEN_INVALID');
        await expectReason(api.getMe({}, bearer('garbage')), 'TOKEN_INVALID');
        // Signed with our own key but for another audience.
        const { importPKCS8, SignJWT } = await import('jose');
        const fs = await import('node:fs');
        const key = await importPKCS8(fs.readFileSync(`${server.dataDir}/jwt-ed25519.pem`, 'utf8'), 'EdDSA');
        const foreign = await new SignJWT({ sid: session.sessionId, client_type: 'web', device_id: 'd' })
          .setProtectedHeader({ alg: 'EdDSA' })
          .setSubject(session.user!.id)
          .setAudience('someone-else')
          .setIssuer('mychat')
          .setExpirationTime('5m')
          .sign(key);
        await expectReason(api.getMe({}, bearer(foreign)), 'TOKEN_INVALID');
        // Identity headers from a client are never trusted.
        await expectReason(
          api.getMe(
            {},
            { headers: { 'x-mychat-user-id': session.user!.id, 'x-mychat-session-id': session.sessionId } },
          ),
          'UNAUTHENTICATED',
        );
      });
    });
  });
}

describe('time-dependent rules (SQLite, clock under test control)', () => {
  let server: TestServer;
  let api: AuthClient;
  let now = Date.now();
  const clock = { now: () => now };

  beforeAll(async () => {
    server = await startTestServer({ clock });
    api = server.client(auth.AuthService);
  });
  afterAll(() => server?.stop());

  it('refuses an expired code', async () => {
    now = Date.now();
    const email = uniqueEmail();
    const dest = { case: 'email' as const, value: email };
    await api.sendVerificationCode({ destination: dest, purpose: 'register' });
    const code = await server.codeFor(email);
    now += 301_000;
    await expectReason(
      api.register({ destination: dest, code, password: PASSWORD, nickname: 'N', device: device() }),
      'CODE_EXPIRED',
    );
  });

  it('refuses an expired access token', async () => {
    // A session opened 11 minutes ago holds a token that expired a minute ago.
    now = Date.now() - 11 * 60_000;
    const { session } = await signUp(server, api);
    now = Date.now();
    await expectReason(api.getMe({}, bearer(session.accessToken)), 'TOKEN_EXPIRED');
    const fresh = await api.refreshSession({ refreshToken: session.refreshToken });
    expect((await api.getMe({}, bearer(fresh.session!.accessToken))).user?.id).toBe(session.user?.id);
  });

  it('writes real emails in the requested language', async () => {
    now = Date.now();
    const email = uniqueEmail('zh');
    await api.sendVerificationCode({
      destination: { case: 'email', value: email },
      purpose: 'register',
      locale: 'zh-CN',
    });
    await server.codeFor(email);
    const mails = (await readOutboxMails(server.outboxDir)).filter((m) => m.to === email);
    expect(mails).toHaveLength(1);
    expect(mails[0]!.subject).toMatch(/[\u4e00-\u9fff]/);
    expect(mails[0]!.html).toContain('<');
  });
});
