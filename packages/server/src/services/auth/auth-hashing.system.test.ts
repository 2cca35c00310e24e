import { auth } from '@mychat/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorInfoOf } from '../../kernel/errors.js';
import { device, PASSWORD, signUp, uniqueEmail, type AuthClient } from '../../test/auth-helpers.js';
import { startTestServer, type TestServer } from '../../test/test-server.js';

/**
 * The bounded hashing queue: one hash at a time and three waiting, with a hash slow enough
 * (64 MiB, 3 passes) that a burst of requests is all in before the first one finishes.
 * Client IPs come from X-Forwarded-For (trustProxy), so one test process can be many hosts.
 */
describe('password hashing under a flood of anonymous logins', () => {
  let server: TestServer;
  let api: AuthClient;

  beforeAll(async () => {
    server = await startTestServer({
      overrides: {
        http: { trustProxy: true },
        auth: {
          argon2MemoryKib: 65_536,
          argon2TimeCost: 3,
          hashConcurrency: 1,
          hashQueueMax: 3,
          loginPerIpPerWindow: 3,
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

  it('stops a flood from one IP before the hasher, so a real login elsewhere still gets through', async () => {
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
    // Three reach the hasher (the per-IP cap), which fits the queue with the real login.
    expect(answers.filter((a) => a === 'INVALID_CREDENTIALS:0')).toHaveLength(3);
    expect(answers.filter((a) => a.startsWith('RATE_LIMITED:'))).toHaveLength(13);
    expect(await real).toBe('OK');
  });
});
