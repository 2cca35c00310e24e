import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { auth } from '@mychat/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorInfoOf } from '../../kernel/errors.js';
import { backendAvailable } from '../../../test/helpers/backends.js';
import {
  bearer,
  device,
  expectReason,
  PASSWORD,
  signUp,
  uniqueEmail,
  type AuthClient,
} from '../../../test/helpers/auth-helpers.js';
import { createTestDatabaseUrl, dropTestDatabase } from '../../../test/helpers/sql-databases.js';
import { startTestServer, type TestServer } from '../../../test/helpers/test-server.js';

/**
 * The password pause: every try is charged before the password is checked, a success gives
 * back only its own try, the pause outlives a restart, and logins are capped per client IP.
 */
const engines = ['sqlite', 'mysql', 'postgres'] as const;

for (const engine of engines) {
  const ok = engine === 'sqlite' || (await backendAvailable(engine));

  describe.skipIf(!ok)(`password pause on ${engine}`, () => {
    let server: TestServer;
    let api: AuthClient;
    let sqlUrl: string | undefined;

    beforeAll(async () => {
      sqlUrl = engine === 'sqlite' ? undefined : await createTestDatabaseUrl(engine);
      server = await startTestServer({
        sqlUrl,
        overrides: { auth: { loginFailuresPerWindow: 3, sendCooldownSeconds: 0 } },
      });
      api = server.client(auth.AuthService);
    });
    afterAll(async () => {
      await server?.stop();
      if (sqlUrl) await dropTestDatabase(sqlUrl);
    });

    const login = (email: string, password: string) =>
      api.login({
        destination: { case: 'email', value: email },
        credential: { case: 'password', value: password },
        device: device(),
      });

    it('refuses the right password during a pause, like a wrong one', async () => {
      const { email } = await signUp(server, api);
      for (let i = 0; i < 3; i++) await expectReason(login(email, 'guess-guess-1'), 'INVALID_CREDENTIALS');
      const err = await expectReason(login(email, PASSWORD), 'RATE_LIMITED');
      expect(errorInfoOf(err)!.retryAfterSeconds).toBeGreaterThan(800);
      await expectReason(login(email, 'guess-guess-2'), 'RATE_LIMITED');
      // An address without an account pauses the same way (the answers tell nothing apart).
      const nobody = uniqueEmail('nobody');
      for (let i = 0; i < 3; i++) await expectReason(login(nobody, 'guess-guess-1'), 'INVALID_CREDENTIALS');
      await expectReason(login(nobody, 'guess-guess-1'), 'RATE_LIMITED');
    });

    it("does not hand out fresh tries when the owner logs in between an attacker's guesses", async () => {
      const { email } = await signUp(server, api);
      await expectReason(login(email, 'guess-guess-1'), 'INVALID_CREDENTIALS');
      await expectReason(login(email, 'guess-guess-2'), 'INVALID_CREDENTIALS');
      expect((await login(email, PASSWORD)).session?.user?.email).toBe(email);
      await expectReason(login(email, 'guess-guess-3'), 'INVALID_CREDENTIALS');
      // Three wrong tries in the window: the pause holds, the owner's success reset nothing.
      await expectReason(login(email, PASSWORD), 'RATE_LIMITED');
    });

    it("throttles ChangePassword's old-password check per user, right password included", async () => {
      const { session } = await signUp(server, api);
      const change = (old: string) =>
        api.changePassword(
          { oldPassword: old, newPassword: 'lantern-orchid-88' },
          bearer(session.accessToken),
        );
      for (let i = 0; i < 3; i++) await expectReason(change('guess-guess-1'), 'INVALID_CREDENTIALS');
      await expectReason(change(PASSWORD), 'RATE_LIMITED');
      // Nothing was changed: the old password still logs in.
      const email = session.user!.email;
      const again = await login(email, PASSWORD);
      expect(again.session?.user?.id).toBe(session.user?.id);
      // A reset by code proves control of the account and lifts the pause.
      await api.sendVerificationCode({
        destination: { case: 'email', value: email },
        purpose: 'reset-password',
      });
      const code = await server.codeFor(email);
      await api.resetPassword({
        destination: { case: 'email', value: email },
        code,
        newPassword: 'quartz-meadow-31',
      });
      const fresh = await login(email, 'quartz-meadow-31');
      await api.changePassword(
        { oldPassword: 'quartz-meadow-31', newPassword: 'lantern-orchid-88' },
        bearer(fresh.session!.accessToken),
      );
      expect((await login(email, 'lantern-orchid-88')).session?.user?.id).toBe(session.user?.id);
    });
  });
}

describe('the pause survives a restart of an all-in-one server (SQLite, memory kv)', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mychat-lockout-'));
  const sqlUrl = `sqlite:${path.join(dir, 'mychat.db')}`;
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('refuses the right password after the restart', async () => {
    const overrides = { auth: { loginFailuresPerWindow: 3 } };
    const first = await startTestServer({ sqlUrl, overrides });
    let email: string;
    try {
      const api = first.client(auth.AuthService);
      ({ email } = await signUp(first, api));
      for (let i = 0; i < 3; i++) {
        await expectReason(
          api.login({
            destination: { case: 'email', value: email },
            credential: { case: 'password', value: 'guess-guess-1' },
            device: device(),
          }),
          'INVALID_CREDENTIALS',
        );
      }
    } finally {
      await first.stop();
    }
    const second = await startTestServer({ sqlUrl, overrides });
    try {
      const api = second.client(auth.AuthService);
      await expectReason(
        api.login({
          destination: { case: 'email', value: email },
          credential: { case: 'password', value: PASSWORD },
          device: device(),
        }),
        'RATE_LIMITED',
      );
    } finally {
      await second.stop();
    }
  });
});

describe('logins per client IP, and what a failed login leaves in the log', () => {
  let server: TestServer;
  let api: AuthClient;

  beforeAll(async () => {
    server = await startTestServer({ overrides: { auth: { loginPerIpPerWindow: 4 } } });
    api = server.client(auth.AuthService);
  });
  afterAll(() => server?.stop());

  it('caps logins across accounts from one IP; a forged X-Forwarded-For changes nothing', async () => {
    const { email } = await signUp(server, api);
    // Spraying one password over many accounts, each request claiming another address.
    for (let i = 0; i < 4; i++) {
      await expectReason(
        api.login(
          {
            destination: { case: 'email', value: uniqueEmail('spray') },
            credential: { case: 'password', value: PASSWORD },
            device: device(),
          },
          { headers: { 'x-forwarded-for': `198.51.100.${i + 1}` } },
        ),
        'INVALID_CREDENTIALS',
      );
    }
    const err = await expectReason(
      api.login(
        {
          destination: { case: 'email', value: email },
          credential: { case: 'password', value: PASSWORD },
          device: device(),
        },
        { headers: { 'x-forwarded-for': '198.51.100.99' } },
      ),
      'RATE_LIMITED',
    );
    expect(errorInfoOf(err)!.retryAfterSeconds).toBeGreaterThan(500);
    // Code logins count against the same cap.
    await expectReason(
      api.login({
        destination: { case: 'email', value: email },
        credential: { case: 'code', value: '123456' },
        device: device(),
      }),
      'RATE_LIMITED',
    );
  });

  it('logs each failed login with a reason and IP, never the address or the password', () => {
    const failed = server.logs
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((l) => l.msg === 'login failed');
    const reasons = failed.map((l) => l.reason);
    expect(reasons).toContain('no-account');
    expect(reasons).toContain('ip-rate-limited');
    for (const l of failed) {
      expect(l.address_hash).toMatch(/^[0-9a-f]{16}$/);
      expect(String(l.client_ip)).toMatch(/127\.0\.0\.1|::1/);
    }
    const all = failed.map((l) => JSON.stringify(l)).join('\n');
    expect(all).not.toContain('@example');
    expect(all).not.toContain(PASSWORD);
  });
});
