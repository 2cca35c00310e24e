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
