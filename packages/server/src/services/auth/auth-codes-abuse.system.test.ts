import { auth } from '@mychat/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorInfoOf } from '../../kernel/errors.js';
import {
  device,
  expectReason,
  PASSWORD,
  signUp,
  uniqueEmail,
  type AuthClient,
} from '../../../test/helpers/auth-helpers.js';
import { startTestServer, type TestServer } from '../../../test/helpers/test-server.js';

/**
 * Code tries are limited per requester (client IP, from X-Forwarded-For behind a trusted
 * proxy), so strangers cannot burn an owner's code; and the code paths answer the same
 * whether or not an account exists.
 */
describe('verification codes against strangers', () => {
  let server: TestServer;
  let api: AuthClient;
  let ipSeq = 0;
  /** A fresh client address per use, so tests never share a per-IP count. */
  const nextIp = () => `198.51.100.${++ipSeq}`;
  const from = (ip: string) => ({ headers: { 'x-forwarded-for': ip } });

  beforeAll(async () => {
    server = await startTestServer({
      overrides: {
        http: { trustedProxies: ['127.0.0.1', '::1'] },
        auth: {
          codeMaxAttempts: 3,
          codeMaxAttemptsTotal: 7,
          codeTriesPerIpPerHour: 10,
          sendCooldownSeconds: 0,
        },
      },
    });
    api = server.client(auth.AuthService);
  });
  afterAll(() => server?.stop());

  const codeLogin = (email: string, code: string, ip: string) =>
    api.login(
      {
        destination: { case: 'email', value: email },
        credential: { case: 'code', value: code },
        device: device(),
      },
      from(ip),
    );
  const sendCode = (email: string, purpose: string) =>
    api.sendVerificationCode({ destination: { case: 'email', value: email }, purpose }, from(nextIp()));
  const otherThan = (code: string) => (code === '000000' ? '000001' : '000000');

  it("a stranger's wrong guesses cannot burn the owner's login code", async () => {
    const { email } = await signUp(server, api);
    await sendCode(email, 'login');
    const code = await server.codeFor(email);
    const stranger = nextIp();
    for (let i = 0; i < 3; i++)
      await expectReason(codeLogin(email, otherThan(code), stranger), 'CODE_INVALID');
    // The stranger's own budget for this code is spent, the right code included...
    await expectReason(codeLogin(email, code, stranger), 'CODE_TOO_MANY_ATTEMPTS');
    await expectReason(codeLogin(email, otherThan(code), stranger), 'CODE_TOO_MANY_ATTEMPTS');
    // ...and the owner, elsewhere, still logs in with it.
    const s = await codeLogin(email, code, nextIp());
    expect(s.session?.user?.email).toBe(email);
  });

  it('guesses from many addresses together stay within a fixed budget per code', async () => {
    const { email } = await signUp(server, api);
    await sendCode(email, 'login');
    const code = await server.codeFor(email);
    const answers: string[] = [];
    for (let ip = 0; ip < 3; ip++) {
      const stranger = nextIp();
      for (let i = 0; i < 3; i++) {
        const err = await codeLogin(email, otherThan(code), stranger).catch((e: unknown) => e);
        answers.push(errorInfoOf(err)!.reason);
      }
    }
    // 7 tries in all were checked; the 8th and 9th were refused without a check.
    expect(answers.filter((a) => a === 'CODE_INVALID')).toHaveLength(7);
    expect(answers.slice(7)).toEqual(['CODE_TOO_MANY_ATTEMPTS', 'CODE_TOO_MANY_ATTEMPTS']);
    await expectReason(codeLogin(email, code, nextIp()), 'CODE_TOO_MANY_ATTEMPTS');
    // A new code gives everyone fresh tries.
    await sendCode(email, 'login');
    const fresh = await server.codeFor(email);
    expect((await codeLogin(email, fresh, nextIp())).session?.user?.email).toBe(email);
  });

  it('caps the code tries of one IP across addresses per hour', async () => {
    const stranger = nextIp();
    const reset = (email: string) =>
      api.resetPassword(
        { destination: { case: 'email', value: email }, code: '123456', newPassword: 'lantern-orchid-88' },
        from(stranger),
      );
    for (let i = 0; i < 10; i++) await expectReason(reset(uniqueEmail('spray')), 'CODE_EXPIRED');
    const err = await expectReason(reset(uniqueEmail('spray')), 'RATE_LIMITED');
    expect(errorInfoOf(err)!.retryAfterSeconds).toBeGreaterThan(3000);
  });

  it('answers code logins, resets and registers the same with or without an account', async () => {
    const { email: taken, code: used } = await signUp(server, api);
    const free = uniqueEmail('free');
    const reasonFor = async (p: Promise<unknown>) => errorInfoOf(await p.catch((e: unknown) => e))?.reason;
    const guess = otherThan(used);

    // No code asked for: the same answer.
    const ip1 = nextIp();
    const loginTaken = await reasonFor(codeLogin(taken, guess, ip1));
    expect(loginTaken).toBe('CODE_EXPIRED');
    expect(await reasonFor(codeLogin(free, guess, ip1))).toBe(loginTaken);

    // A code asked for and a wrong one given: the same answer for each purpose.
    const ip2 = nextIp();
    await sendCode(taken, 'login');
    const real = await server.codeFor(taken);
    await sendCode(free, 'login');
    const wrong = otherThan(real);
    expect(await reasonFor(codeLogin(taken, wrong, ip2))).toBe('CODE_INVALID');
    expect(await reasonFor(codeLogin(free, wrong, ip2))).toBe('CODE_INVALID');

    const ip3 = nextIp();
    const resetWith = (email: string) =>
      reasonFor(
        api.resetPassword(
          { destination: { case: 'email', value: email }, code: guess, newPassword: 'lantern-orchid-88' },
          from(ip3),
        ),
      );
    await sendCode(taken, 'reset-password');
    await sendCode(free, 'reset-password');
    expect(await resetWith(taken)).toBe('CODE_INVALID');
    expect(await resetWith(free)).toBe('CODE_INVALID');

    const ip4 = nextIp();
    const freeReg = uniqueEmail('free-reg');
    await sendCode(taken, 'register');
    await sendCode(freeReg, 'register');
    const regGuess = otherThan(await server.codeFor(freeReg));
    const registerWith = (email: string) =>
      reasonFor(
        api.register(
          {
            destination: { case: 'email', value: email },
            code: regGuess,
            password: PASSWORD,
            nickname: 'N',
            device: device(),
          },
          from(ip4),
        ),
      );
    expect(await registerWith(taken)).toBe('CODE_INVALID');
    expect(await registerWith(freeReg)).toBe('CODE_INVALID');
  });
});
