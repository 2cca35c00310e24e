import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer } from '../../../test/helpers/auth-helpers.js';
import { startTestServer, type TestServer } from '../../../test/helpers/test-server.js';
import { closedWithin, connect, connectAuthed, is, newUser, type TestSocket } from './ws.test-helpers.js';

/** onAuthenticate: nothing is handled before a valid Auth frame; everything else is 4401. */
describe('ws authentication', () => {
  let server: TestServer;
  let user: Awaited<ReturnType<typeof newUser>>;

  beforeAll(async () => {
    server = await startTestServer({ overrides: { ws: { authTimeoutMs: 300 } } });
    user = await newUser(server);
  });
  afterAll(() => server?.stop());

  it('answers a binary Auth frame with AuthOk in binary', async () => {
    const s = await connect(server);
    s.send({ requestId: 7, body: { case: 'auth', value: { accessToken: user.token } } });
    const { frame, text } = await s.next();
    expect(text).toBe(false);
    expect(frame.requestId).toBe(7);
    expect(frame.body.case).toBe('authOk');
    const ok = frame.body.value as {
      userId: string;
      sessionId: string;
      heartbeatIntervalMs: number;
      heartbeatTimeoutMs: number;
      serverTimeMs: number;
    };
    expect(ok.userId).toBe(user.userId);
    expect(ok.sessionId).toBe(user.sessionId);
    expect(ok.heartbeatIntervalMs).toBe(server.app.config.ws.heartbeatIntervalMs);
    expect(ok.heartbeatTimeoutMs).toBe(server.app.config.ws.heartbeatTimeoutMs);
    expect(Math.abs(ok.serverTimeMs - Date.now())).toBeLessThan(5_000);
    const ttl = server.app.config.auth.accessTokenTtlSeconds * 1000;
    expect((frame.body.value as { expiresAtMs: number }).expiresAtMs).toBeGreaterThan(
      Date.now() + ttl - 60_000,
    );
    s.ws.close();
  });

  it('answers a JSON text Auth frame in JSON text, and keeps answering in text', async () => {
    const s = await connectAuthed(server, user.token, 'text');
    expect(s.all[0]!.text).toBe(true);
    s.ws.send(JSON.stringify({ requestId: 2, ping: { clientTimeMs: 5 } }));
    const pong = await s.next(is('pong'));
    expect(pong.text).toBe(true);
    expect(pong.frame.requestId).toBe(2);
    s.ws.close();
  });

  it('closes 4401 when no Auth frame comes in time', async () => {
    const s = await connect(server);
    const started = Date.now();
    expect((await s.closed).code).toBe(4401);
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
  });

  it('closes 4401 on any other frame before Auth, without answering it', async () => {
    const s = await connect(server);
    s.send({ requestId: 3, body: { case: 'ping', value: { clientTimeMs: 1 } } });
    expect((await s.closed).code).toBe(4401);
    expect(s.all.some((r) => r.frame.body.case === 'pong')).toBe(false);
  });

  const refused = async (token: string, reason: string) => {
    const s: TestSocket = await connect(server);
    s.send({ requestId: 9, body: { case: 'auth', value: { accessToken: token } } });
    const { frame } = await s.next(is('error'));
    expect(frame.requestId).toBe(9);
    expect(frame.body.case === 'error' && frame.body.value.reason).toBe(reason);
    expect((await s.closed).code).toBe(4401);
  };

  it('refuses a garbage token with TOKEN_INVALID and 4401', () => refused('not-a-jwt', 'TOKEN_INVALID'));

  it('refuses a tampered token with TOKEN_INVALID and 4401', async () => {
    const [h, p, sig] = user.token.split('.');
    const claims = JSON.parse(Buffer.from(p!, 'base64url').toString()) as Record<string, unknown>;
    const forged = Buffer.from(JSON.stringify({ ...claims, sub: '1' })).toString('base64url');
    await refused(`${h}.${forged}.${sig}`, 'TOKEN_INVALID');
  });

  it('refuses an expired token with TOKEN_EXPIRED and 4401', async () => {
    const { token } = await server.app
      .value('tokens')
      .sign(
        { userId: user.userId, sessionId: user.sessionId, clientType: 'web', deviceId: 'dev-1' },
        60,
        Date.now() - 3_600_000,
      );
    await refused(token, 'TOKEN_EXPIRED');
  });

  it('refuses the token of a logged-out session with SESSION_REVOKED and 4401', async () => {
    const other = await newUser(server);
    await other.api.logout({}, bearer(other.token));
    await refused(other.token, 'SESSION_REVOKED');
  });

  /** A token of `user`'s session that expires `inMs` from now (tokens are signed in whole seconds). */
  const expiringIn = async (inMs: number) => {
    const ttlSeconds = 60;
    const { token, exp } = await server.app
      .value('tokens')
      .sign(
        { userId: user.userId, sessionId: user.sessionId, clientType: 'web', deviceId: 'dev-1' },
        ttlSeconds,
        Date.now() + inMs - ttlSeconds * 1000,
      );
    return { token, expiresAtMs: exp * 1000 };
  };

  it('ends a socket when its token expires: session_ended {expired}, then 4401', async () => {
    const { token, expiresAtMs } = await expiringIn(1_500);
    const s = await connectAuthed(server, token);
    expect(s.authOk.expiresAtMs).toBe(expiresAtMs);
    const { frame } = await s.next(is('sessionEnded'), 5_000);
    expect(frame.body.case === 'sessionEnded' && frame.body.value.reason).toBe('expired');
    expect((await s.closed).code).toBe(4401);
    expect(Date.now()).toBeGreaterThanOrEqual(expiresAtMs);
  });

  it('a fresh token of the same session on the open socket moves its expiry (auth again -> auth_ok)', async () => {
    const { token } = await expiringIn(1_500);
    const s = await connectAuthed(server, token);
    s.send({ requestId: 21, body: { case: 'auth', value: { accessToken: user.token } } });
    const { frame } = await s.next((f) => f.requestId === 21);
    expect(frame.body.case).toBe('authOk');
    const renewed = frame.body.value as { expiresAtMs: number; sessionId: string };
    expect(renewed.sessionId).toBe(user.sessionId);
    expect(renewed.expiresAtMs).toBeGreaterThan(s.authOk.expiresAtMs);
    expect(await closedWithin(s, 2_500)).toBeUndefined();
    s.send({ requestId: 22, body: { case: 'ping', value: {} } });
    expect((await s.next(is('pong'))).frame.requestId).toBe(22);
    s.ws.close();
  });

  it('refuses on the open socket a token of another session, a bad or an expired one, and keeps the socket as it was', async () => {
    const s = await connectAuthed(server, user.token);
    const other = await newUser(server);
    const stale = await server.app
      .value('tokens')
      .sign(
        { userId: user.userId, sessionId: user.sessionId, clientType: 'web', deviceId: 'dev-1' },
        60,
        Date.now() - 3_600_000,
      );
    const cases: [string, string][] = [
      [other.token, 'INVALID_ARGUMENT'],
      ['not-a-jwt', 'TOKEN_INVALID'],
      [stale.token, 'TOKEN_EXPIRED'],
    ];
    for (const [i, [token, reason]] of cases.entries()) {
      s.send({ requestId: 30 + i, body: { case: 'auth', value: { accessToken: token } } });
      const { frame } = await s.next((f) => f.requestId === 30 + i);
      expect(frame.body.case === 'error' && frame.body.value.reason).toBe(reason);
    }
    s.send({ requestId: 40, body: { case: 'ping', value: {} } });
    expect((await s.next(is('pong'))).frame.requestId).toBe(40);
    expect(await closedWithin(s, 50)).toBeUndefined();
    s.ws.close();
  });
});
