import { auth, message } from '@mychat/protocol';
import { MyChatClient, type ConnectionState, type SendStateEvent } from '@mychat/sdk';
import { afterEach, describe, expect, it } from 'vitest';
import { bearer, PASSWORD, signUp } from '../helpers/auth-helpers.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

/** The SDK against a real server's socket limits: what it does with what it can never send or hold. */
describe('sdk: socket limits', () => {
  let server: TestServer | undefined;
  const clients: MyChatClient[] = [];

  afterEach(async () => {
    for (const c of clients.splice(0)) await c.close();
    await server?.stop();
  });

  async function client(email: string, clientType: 'pc' | 'web', reconnect = {}) {
    const c = new MyChatClient({
      baseUrl: server!.baseUrl,
      ...reconnect,
      device: { clientType, deviceId: `dev-${clientType}`, name: 'vitest' },
    });
    clients.push(c);
    await c.auth.login({ to: { email }, password: PASSWORD });
    const states: ConnectionState[] = [];
    const sendStates: SendStateEvent[] = [];
    const kicked: string[] = [];
    const reasons: [ConnectionState, string][] = [];
    c.on('state', (s, why) => {
      states.push(s);
      reasons.push([s, why]);
    });
    c.on('sendState', (e) => sendStates.push(e));
    c.on('kicked', (r) => kicked.push(r));
    return { c, states, reasons, sendStates, kicked };
  }

  it('fails a message whose frame is over the limit at once (PAYLOAD_TOO_LARGE), keeps the socket, sends the next', async () => {
    server = await startTestServer();
    const { email } = await signUp(server, server.client(auth.AuthService));
    const me = await client(email, 'pc');
    await me.c.connect();
    const conv = await me.c.messages.fileTransferConversation();
    const huge = 'x'.repeat(100 * 1024);
    const err = await me.c.messages.sendText(conv.id, huge).catch((e: unknown) => e);
    expect(err).toMatchObject({ reason: 'PAYLOAD_TOO_LARGE' });
    const failed = me.sendStates.filter((e) => e.state === 'failed');
    expect(failed.map((e) => e.error?.reason)).toEqual(['PAYLOAD_TOO_LARGE']);
    // Never sent: the socket was not closed for it.
    expect(me.states).not.toContain('reconnecting');
    const ok = await me.c.messages.sendText(conv.id, 'small enough');
    expect(ok.seq).toBeGreaterThan(0);
    expect(me.c.state).toBe('live');
  });

  it('on 4430 (too many sockets) stops and says why instead of fighting the newer socket', async () => {
    server = await startTestServer({ overrides: { ws: { maxSocketsPerUser: 1 } } });
    const api = server.client(auth.AuthService);
    const { email } = await signUp(server, api);
    const older = await client(email, 'pc');
    await older.c.connect();
    const newer = await client(email, 'web');
    await newer.c.connect();
    await new Promise<void>((resolve) => older.c.on('kicked', () => resolve()));
    expect(older.kicked).toEqual(['too_many_sockets']);
    expect(older.c.state).toBe('stopped');
    // The newer client keeps its socket: nothing came back to take it.
    const conv = await newer.c.messages.fileTransferConversation();
    await newer.c.messages.sendText(conv.id, 'still here');
    expect(newer.states).not.toContain('reconnecting');
    expect(older.states.slice(older.states.indexOf('stopped'))).toEqual(['stopped']);
  });

  it('a catch-up refused by the read budget (RATE_LIMITED) waits its retry-after before trying again', async () => {
    // One read a second, none in reserve: the RPC Sync below empties the account's bucket.
    server = await startTestServer({ overrides: { ws: { readBurst: 1, readRatePerSecond: 1 } } });
    const { email, session } = await signUp(server, server.client(auth.AuthService));
    await server.client(message.MessageService).sync({ sincePts: 0 }, bearer(session.accessToken));
    // A short backoff: retried on it, the catch-up would come back long before the bucket refills.
    const me = await client(email, 'pc', { reconnect: { baseMs: 50, capMs: 100 } });
    await me.c.connect();
    const waits = me.reasons.filter(([s]) => s === 'reconnecting').map(([, why]) => why);
    // Refused once (the socket's sync frame), then one wait of the server's second, then live.
    expect(waits).toHaveLength(1);
    expect(waits[0]).toMatch(/^RATE_LIMITED: /);
    const ms = Number(/retrying in (\d+) ms/.exec(waits[0]!)?.[1]);
    expect(ms).toBeGreaterThanOrEqual(1000);
    expect(me.c.state).toBe('live');
  });
});
