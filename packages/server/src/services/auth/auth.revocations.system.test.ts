import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConnectError } from '@connectrpc/connect';
import { createClient } from '@connectrpc/connect';
import { createConnectTransport } from '@connectrpc/connect-node';
import { auth, message } from '@mychat/protocol';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorInfoOf } from '../../kernel/errors.js';
import { bearer, device, expectReason, PASSWORD } from '../../test/auth-helpers.js';
import { ChildServer, freePort } from '../../test/child-server.js';
import { extractCode, latestMailTo } from '../../test/outbox.js';
import { RedisProcess } from '../../test/redis-process.js';
import { startTestServer, type TestServer } from '../../test/test-server.js';
import { connect, connectAuthed, newUser } from '../../gateway/ws/ws.test-helpers.js';

/** What the ws helpers need of a server: its URL, clients and its outbox. */
function asTarget(baseUrl: string, dataDir: string): TestServer {
  return {
    baseUrl,
    client: (service: never) =>
      createClient(service, createConnectTransport({ baseUrl, httpVersion: '1.1' })) as never,
    async codeFor(to: string) {
      for (let i = 0; i < 200; i++) {
        const mail = await latestMailTo(path.join(dataDir, 'outbox'), to);
        if (mail) return extractCode(mail.text);
        await new Promise((r) => setTimeout(r, 25));
      }
      throw new Error(`no code for ${to}`);
    },
  } as unknown as TestServer;
}

/** Auth over /ws with `token` is refused with `reason` and close 4401. */
async function wsRefused(target: TestServer, token: string, reason: string) {
  const s = await connect(target);
  s.send({ requestId: 1, body: { case: 'auth', value: { accessToken: token } } });
  const { frame } = await s.next();
  expect(frame.body.case).toBe('error');
  expect((frame.body.value as { reason: string }).reason).toBe(reason);
  expect((await s.closed).code).toBe(4401);
}

/**
 * Revocations live in the kv for speed, which forgets: the process restarts (memory kv) or
 * Redis comes back empty. An ended session must stay ended anyway, on every door.
 */
describe('session revocations survive a restart (all-in-one, SQLite, memory kv)', () => {
  let dataDir: string;
  let server: ChildServer;
  let target: TestServer;

  beforeAll(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mychat-revoke-'));
    server = new ChildServer({
      MYCHAT_DATA_DIR: dataDir,
      MYCHAT_HTTP_PORT: String(await freePort()),
      MYCHAT_RPC_PORT: String(await freePort()),
      MYCHAT_LOG_LEVEL: 'warn',
      MYCHAT_AUTH_ARGON2_MEMORY_KIB: '1024',
      MYCHAT_AUTH_ARGON2_TIME_COST: '1',
    });
    await server.start();
    target = asTarget(server.url, dataDir);
  }, 60_000);
  afterAll(async () => {
    await server?.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('refuses logged-out, revoked and kicked sessions after a SIGKILL and restart: GetMe, /ws, Sync', async () => {
    const api = target.client(auth.AuthService);
    const loggedOut = await newUser(target);
    await api.logout({}, bearer(loggedOut.token));
    // Same account, two devices: the web one ends the pc one (RevokeDevice).
    const bob = await newUser(target, { deviceId: 'web-1' });
    const pc = await api.login({
      destination: { case: 'email', value: bob.email },
      credential: { case: 'password', value: PASSWORD },
      device: device('pc', 'desk'),
    });
    await api.revokeDevice({ sessionId: pc.session!.sessionId }, bearer(bob.token));
    // A new web login kicks bob's first web session (same client type).
    await api.login({
      destination: { case: 'email', value: bob.email },
      credential: { case: 'password', value: PASSWORD },
      device: device('web', 'web-2'),
    });
    const live = await newUser(target);
    const ended = [loggedOut.token, pc.session!.accessToken, bob.token];

    await server.kill();
    await server.start();

    const after = target.client(auth.AuthService);
    const sync = target.client(message.MessageService);
    for (const token of ended) {
      await expectReason(after.getMe({}, bearer(token)), 'SESSION_REVOKED');
      await expectReason(sync.sync({ sincePts: 0 }, bearer(token)), 'SESSION_REVOKED');
      await wsRefused(target, token, 'SESSION_REVOKED');
    }
    // Not a blanket refusal: a live session's token still works everywhere.
    expect((await after.getMe({}, bearer(live.token))).user?.id).toBe(live.userId);
    await sync.sync({ sincePts: 0 }, bearer(live.token));
    (await connectAuthed(target, live.token)).ws.close();
  }, 60_000);
});

describe('session revocations survive Redis losing its contents', () => {
  let redis: RedisProcess;
  let server: TestServer;
  let admin: Redis;

  beforeAll(async () => {
    redis = await RedisProcess.start();
    server = await startTestServer({ redisUrl: redis.url, overrides: { auth: { revocationCheckMs: 100 } } });
    admin = new Redis(redis.url, { maxRetriesPerRequest: 1 });
  }, 60_000);
  afterAll(async () => {
    admin?.disconnect();
    await server?.stop();
    await redis?.kill();
  });

  /** GetMe until the gateway stops answering UNAVAILABLE (the refill from SQL is done). */
  async function getMeSettled(token: string): Promise<unknown> {
    const api = server.client(auth.AuthService);
    for (let i = 0; i < 300; i++) {
      try {
        return await api.getMe({}, bearer(token));
      } catch (err) {
        if (!(err instanceof ConnectError) || errorInfoOf(err)?.reason !== 'UNAVAILABLE') return err;
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    throw new Error('still UNAVAILABLE');
  }

  it('after FLUSHALL an ended session is never let in, and is refused again once refilled', async () => {
    const api = server.client(auth.AuthService);
    const ended = await newUser(server);
    const live = await newUser(server);
    await api.logout({}, bearer(ended.token));
    await admin.flushall();

    const err = await getMeSettled(ended.token);
    expect(errorInfoOf(err)?.reason).toBe('SESSION_REVOKED');
    await wsRefused(server, ended.token, 'SESSION_REVOKED');
    await expectReason(
      server.client(message.MessageService).sync({ sincePts: 0 }, bearer(ended.token)),
      'SESSION_REVOKED',
    );
    expect(((await getMeSettled(live.token)) as auth.GetMeResponse).user?.id).toBe(live.userId);
  });

  it('after Redis restarts empty the same holds', async () => {
    const api = server.client(auth.AuthService);
    const ended = await newUser(server);
    await api.logout({}, bearer(ended.token));
    await redis.kill();
    await redis.start();

    const err = await getMeSettled(ended.token);
    expect(errorInfoOf(err)?.reason).toBe('SESSION_REVOKED');
  });
});
