import { auth } from '@mychat/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorInfoOf } from '../../kernel/errors.js';
import {
  device,
  PASSWORD,
  signUp,
  uniqueEmail,
  type AuthClient,
} from '../../../test/helpers/auth-helpers.js';
import { startTestServer, type TestServer } from '../../../test/helpers/test-server.js';

/**
 * The bounded hashing queue: one hash at a time and three waiting, with a hash slow enough
 * (64 MiB, 3 passes) that a burst of requests is all in before the first one finishes.
 * Client IPs come from X-Forwarded-For (loopback is a trusted proxy), so one test process can be many hosts.
 */
describe('password hashing under a flood of anonymous logins', () => {
  let server: TestServer;
  let api: AuthClient;

  beforeAll(async () => {
    server = await startTestServer({
      overrides: {
        http: { trustedProxies: ['127.0.0.1', '::1'] },
        auth: {
          argon2MemoryKib: 65_536,
          argon2TimeCost: 3,
          hashConcurrency: 1,
          hashQueueMax: 3,
          loginPerIpPerWindow: 20,
          loginInFlightPerIp: 2,
        },
      },
    });
    api = server.client(auth.AuthService);
  });
  afterAll(() => server?.stop());

  const reasonOf = async (p: Promise<unknown>) => {
    try {
      await p;
      return 'OK';
    } catch (err) {
      const info = errorInfoOf(err);
      return info ? `${info.reason}:${info.retryAfterSeconds}` : String(err);
    }
  };
  const guess = (ip: string, email = uniqueEmail('flood')) =>
    api.login(
      {
        destination: { case: 'email', value: email },
        credential: { case: 'password', value: 'guess-guess-1' },
        device: device(),
      },
      { headers: { 'x-forwarded-for': ip } },
    );

  it('sheds beyond the queue with UNAVAILABLE and a retry-after, never a 500', async () => {
    const answers = await Promise.all(
      Array.from({ length: 16 }, (_, i) => reasonOf(guess(`198.51.100.${i + 1}`))),
    );
    const shed = answers.filter((a) => a === 'UNAVAILABLE:1');
    const checked = answers.filter((a) => a === 'INVALID_CREDENTIALS:0');
    expect(shed.length + checked.length, answers.join(', ')).toBe(16);
    expect(shed.length).toBeGreaterThan(0);
    // At least the running hash and the three waiting ones were answered properly.
    expect(checked.length).toBeGreaterThanOrEqual(4);
  });

  it('lets one IP hold at most two places in the queue, so a real login elsewhere still gets through', async () => {
    const { email } = await signUp(server, api);
    const flood = Array.from({ length: 16 }, () => reasonOf(guess('203.0.113.7')));
    const real = reasonOf(
      api.login(
        {
          destination: { case: 'email', value: email },
          credential: { case: 'password', value: PASSWORD },
          device: device(),
        },
        { headers: { 'x-forwarded-for': '192.0.2.10' } },
      ),
    );
    const answers = await Promise.all(flood);
    // Whatever the timing, the flood never holds more than two of the four places: nothing is
    // shed, the rest is refused before the hasher, and the real login is checked.
    expect(answers.filter((a) => a.startsWith('UNAVAILABLE'))).toEqual([]);
    expect(answers.filter((a) => a === 'INVALID_CREDENTIALS:0').length).toBeGreaterThanOrEqual(2);
    expect(answers.filter((a) => a === 'RATE_LIMITED:1').length).toBeGreaterThan(0);
    expect(answers.every((a) => a === 'INVALID_CREDENTIALS:0' || a === 'RATE_LIMITED:1')).toBe(true);
    expect(await real).toBe('OK');
  });

  it('caps logins per IP in a window before any hash', async () => {
    const ip = '203.0.113.8';
    const answers: string[] = [];
    for (let i = 0; i < 21; i++) answers.push(await reasonOf(guess(ip)));
    expect(answers.slice(0, 20).every((a) => a === 'INVALID_CREDENTIALS:0')).toBe(true);
    expect(answers[20]).toMatch(/^RATE_LIMITED:\d+$/);
  });
});

/** A call shed for load must not cost the caller anything: not the code, not a try. */
describe('what a call shed for load leaves behind', () => {
  let server: TestServer;
  let api: AuthClient;

  beforeAll(async () => {
    server = await startTestServer({
      overrides: {
        http: { trustedProxies: ['127.0.0.1', '::1'] },
        auth: {
          argon2MemoryKib: 65_536,
          argon2TimeCost: 3,
          hashConcurrency: 1,
          hashQueueMax: 0,
          loginFailuresPerWindow: 1,
        },
      },
    });
    api = server.client(auth.AuthService);
  });
  afterAll(() => server?.stop());

  let ip = 0;
  /** Logins from other hosts that take the one hashing place for a while. */
  const busy = () =>
    Array.from({ length: 4 }, () =>
      api
        .login(
          {
            destination: { case: 'email', value: uniqueEmail('busy') },
            credential: { case: 'password', value: 'guess-guess-1' },
            device: device(),
          },
          { headers: { 'x-forwarded-for': `198.51.100.${++ip}` } },
        )
        .catch(() => undefined),
    );

  it('a Register shed with UNAVAILABLE keeps its code for the retry', async () => {
    let shed = 0;
    for (let round = 0; round < 10 && shed === 0; round++) {
      const email = uniqueEmail('shed');
      const dest = { case: 'email' as const, value: email };
      await api.sendVerificationCode({ destination: dest, purpose: 'register' });
      const code = await server.codeFor(email);
      // The busy logins take the one hashing place, then the Register comes.
      const flood = busy();
      await new Promise((r) => setTimeout(r, 30));
      const register = () =>
        api.register({ destination: dest, code, password: PASSWORD, nickname: 'N', device: device() });
      const first = await register().catch((e: unknown) => e);
      await Promise.all(flood);
      if (errorInfoOf(first)?.reason !== 'UNAVAILABLE') continue;
      shed++;
      expect(errorInfoOf(first)!.retryAfterSeconds).toBeGreaterThan(0);
      expect((await register()).session?.user?.email).toBe(email);
    }
    expect(shed, 'no Register was shed in 10 rounds').toBe(1);
  });

  it('a Login shed with UNAVAILABLE gives its password try back', async () => {
    // One try per window here: a shed Login that kept its charge would pause the account.
    const { email } = await signUp(server, api);
    const login = () =>
      api.login(
        {
          destination: { case: 'email', value: email },
          credential: { case: 'password', value: PASSWORD },
          device: device(),
        },
        { headers: { 'x-forwarded-for': '192.0.2.20' } },
      );
    let shed = 0;
    for (let round = 0; round < 10 && shed === 0; round++) {
      const flood = busy();
      await new Promise((r) => setTimeout(r, 30));
      const first = await login().catch((e: unknown) => e);
      await Promise.all(flood);
      if (errorInfoOf(first)?.reason !== 'UNAVAILABLE') {
        // It was checked and succeeded (its try given back): try another round.
        expect(first).not.toBeInstanceOf(Error);
        continue;
      }
      shed++;
      expect((await login()).session?.user?.email).toBe(email);
    }
    expect(shed, 'no Login was shed in 10 rounds').toBe(1);
  });
});
