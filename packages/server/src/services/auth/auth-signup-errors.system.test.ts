import { auth } from '@mychat/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { device, PASSWORD, uniqueEmail, type AuthClient } from '../../../test/helpers/auth-helpers.js';
import { startTestServer, type TestServer } from '../../../test/helpers/test-server.js';
import { errorInfoOf } from '../../kernel/errors.js';

/**
 * Sign-up reports every wrong field at once (issue 24): with a weak password the code is checked
 * too (counted against its tries, not used up), so the person fixes both in one go.
 */
describe('sign-up errors, all at once', () => {
  let server: TestServer;
  let api: AuthClient;
  beforeAll(async () => {
    server = await startTestServer();
    api = server.client(auth.AuthService);
  });
  afterAll(() => server?.stop());

  const register = (email: string, code: string, password: string) =>
    api.register({
      destination: { case: 'email', value: email },
      code,
      password,
      nickname: 'Newcomer',
      device: device(),
    });
  const failure = async (p: Promise<unknown>) => {
    const info = errorInfoOf(await p.then(() => undefined).catch((e: unknown) => e));
    if (!info) throw new Error('expected a MyChat error');
    return info;
  };
  const codeFor = async (email: string) => {
    await api.sendVerificationCode({ destination: { case: 'email', value: email }, purpose: 'register' });
    return server.codeFor(email);
  };

  it('a weak password and a wrong code: both, the password first', async () => {
    const email = uniqueEmail();
    const code = await codeFor(email);
    const wrong = code === '000000' ? '111111' : '000000';
    const info = await failure(register(email, wrong, 'password123'));
    expect(info.reason).toBe('WEAK_PASSWORD');
    expect(info.field).toBe('password');
    expect(info.violations.map((v) => [v.field, v.reason])).toEqual([
      ['password', 'WEAK_PASSWORD'],
      ['code', 'CODE_INVALID'],
    ]);
  });

  it('a weak password and the right code: only the password, and the code still works after', async () => {
    const email = uniqueEmail();
    const code = await codeFor(email);
    const info = await failure(register(email, code, 'password123'));
    expect(info.reason).toBe('WEAK_PASSWORD');
    expect(info.violations).toEqual([]);
    const ok = await register(email, code, PASSWORD);
    expect(ok.session?.user?.email).toBe(email);
  });

  it('the checks count against the code’s tries: guessing through weak passwords runs out', async () => {
    const email = uniqueEmail();
    const code = await codeFor(email);
    const reasons: string[] = [];
    for (let i = 0; i < 12; i++) {
      const guess = String(100000 + i);
      if (guess === code) continue;
      const info = await failure(register(email, guess, 'password123'));
      reasons.push(info.violations[1]?.reason ?? info.reason);
    }
    expect(reasons).toContain('CODE_TOO_MANY_ATTEMPTS');
    // Past the caps the right code is refused the same way: nothing tells it from a wrong one.
    const info = await failure(register(email, code, 'password123'));
    expect(info.violations[1]?.reason).toBe('CODE_TOO_MANY_ATTEMPTS');
  });
});
