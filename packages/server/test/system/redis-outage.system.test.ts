import { Code, ConnectError } from '@connectrpc/connect';
import { auth } from '@mychat/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorInfoOf } from '../../src/kernel/errors.js';
import { bearer, uniqueEmail } from '../helpers/auth-helpers.js';
import { RedisProcess } from '../helpers/redis-process.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { newUser } from '../../src/gateway/ws/ws.test-helpers.js';

const readyz = async (s: TestServer) => {
  const res = await fetch(`${s.baseUrl}/readyz`);
  return { status: res.status, body: (await res.json()) as { unhealthy?: string[] } };
};

/** Polls until `check` holds (a condition, not a time: the loop only bounds a hang). */
async function eventually(check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('condition never held');
}

/** The ErrorInfo reason of a failed call (or 'ok'). */
const outcome = (p: Promise<unknown>) =>
  p.then(
    () => 'ok',
    (err: unknown) =>
      errorInfoOf(err)?.reason ?? (err instanceof ConnectError ? Code[err.code] : String(err)),
  );

describe('a Redis outage', () => {
  let redis: RedisProcess;
  let server: TestServer;

  beforeAll(async () => {
    redis = await RedisProcess.start();
    server = await startTestServer({ redisUrl: redis.url, overrides: { auth: { revocationCheckMs: 100 } } });
  }, 60_000);
  afterAll(async () => {
    await server?.stop();
    await redis?.kill();
  });

  it('turns /readyz 503 naming kv and bus, fails calls with UNAVAILABLE, and recovers when Redis returns', async () => {
    const user = await newUser(server);
    const api = server.client(auth.AuthService);
    expect((await readyz(server)).status).toBe(200);

    await redis.kill();
    const down = await readyz(server);
    expect(down.status).toBe(503);
    expect(down.body.unhealthy).toEqual(expect.arrayContaining(['kv', 'bus']));
    // Authenticated (the revocation check lives in Redis) and anonymous kv-backed calls.
    expect(await outcome(api.getMe({}, bearer(user.token)))).toBe('UNAVAILABLE');
    expect(
      await outcome(
        api.sendVerificationCode({
          destination: { case: 'email', value: uniqueEmail('outage') },
          purpose: 'register',
          locale: 'en',
        }),
      ),
    ).toBe('UNAVAILABLE');

    await redis.start();
    await eventually(async () => (await readyz(server)).status === 200);
    await eventually(async () => (await outcome(api.getMe({}, bearer(user.token)))) === 'ok');
  }, 60_000);
});

describe('a full data disk', () => {
  it('turns /readyz 503 naming disk when free space is below disk.minFreeMb', async () => {
    // A floor of 1 PiB: above the free space of any machine running this test.
    const full = await startTestServer({ overrides: { disk: { minFreeMb: 1_073_741_824 } } });
    try {
      const r = await readyz(full);
      expect(r.status).toBe(503);
      expect(r.body.unhealthy).toEqual(['disk']);
    } finally {
      await full.stop();
    }
    const roomy = await startTestServer({ overrides: { disk: { minFreeMb: 1 } } });
    try {
      expect((await readyz(roomy)).status).toBe(200);
    } finally {
      await roomy.stop();
    }
  });
});
