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
import { bearer, device, expectReason, PASSWORD } from '../../../test/helpers/auth-helpers.js';
import { ChildServer, freePort } from '../../../test/helpers/child-server.js';
import { extractCode, latestMailTo } from '../../../test/helpers/outbox.js';
import { RedisProcess } from '../../../test/helpers/redis-process.js';
import { startTestServer, type TestServer } from '../../../test/helpers/test-server.js';
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
      // A reset code goes to an address that got its sign-up code a moment before.
      MYCHAT_AUTH_SEND_COOLDOWN_SECONDS: '0',
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

  it('a password change ends the other sessions, a reset ends all, and they stay ended after a restart', async () => {
    const api = target.client(auth.AuthService);
    const NEW = 'amber-lantern-93';
    const loginAs = async (email: string, password: string, type: string) =>
      (
        await api.login({
          destination: { case: 'email', value: email },
          credential: { case: 'password', value: password },
          device: device(type, `${type}-dev`),
        })
      ).session!;

    // Carol changes her password from the web; her pc session is the other one.
    const carol = await newUser(target, { deviceId: 'carol-web' });
    const carolPc = await loginAs(carol.email, PASSWORD, 'pc');
    const pcSocket = await connectAuthed(target, carolPc.accessToken);
    await api.changePassword({ oldPassword: PASSWORD, newPassword: NEW }, bearer(carol.token));
    const ended = await pcSocket.next((f) => f.body.case === 'sessionEnded');
    expect(ended.frame.body.value).toMatchObject({ reason: 'password-changed' });
    expect((await pcSocket.closed).code).toBe(4401);

    // Dave forgot his: the reset (a code to the address) ends every session, the web one too.
    const dave = await newUser(target, { deviceId: 'dave-web' });
    const davePc = await loginAs(dave.email, PASSWORD, 'pc');
    const signUpCode = await target.codeFor(dave.email);
    await api.sendVerificationCode({
      destination: { case: 'email', value: dave.email },
      purpose: 'reset-password',
      locale: 'en',
    });
    let code = signUpCode;
    while (code === signUpCode) {
      await new Promise((r) => setTimeout(r, 25));
      code = await target.codeFor(dave.email); // the reset mail's
    }
    await api.resetPassword({ destination: { case: 'email', value: dave.email }, code, newPassword: NEW });

    await server.kill();
    await server.start();

    const after = target.client(auth.AuthService);
    const sync = target.client(message.MessageService);
    for (const token of [carolPc.accessToken, dave.token, davePc.accessToken]) {
      await expectReason(after.getMe({}, bearer(token)), 'SESSION_REVOKED');
      await expectReason(sync.sync({ sincePts: 0 }, bearer(token)), 'SESSION_REVOKED');
      await wsRefused(target, token, 'SESSION_REVOKED');
    }
    // A refresh token kept from an ended session (a stolen copy) mints nothing after the restart.
    for (const refreshToken of [carolPc.refreshToken, davePc.refreshToken]) {
      await expectReason(after.refreshSession({ refreshToken }), 'SESSION_REVOKED');
    }
    // The session that changed the password keeps working, and the new passwords are the ones.
    expect((await after.getMe({}, bearer(carol.token))).user?.id).toBe(carol.userId);
    await expectReason(loginAs(carol.email, PASSWORD, 'ios'), 'INVALID_CREDENTIALS');
    for (const email of [carol.email, dave.email]) {
      const s = await loginAs(email, NEW, 'android');
      (await connectAuthed(target, s.accessToken)).ws.close();
    }
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
