import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../../test/helpers/test-server.js';
import { closedWithin, connectAuthed, newUser, sleep } from './ws.test-helpers.js';

/** Liveness: any frame counts; silence past heartbeatTimeoutMs closes 4408. */
describe('ws heartbeat', () => {
  let server: TestServer;
  let token: string;

  beforeAll(async () => {
    server = await startTestServer({
      overrides: { ws: { heartbeatTimeoutMs: 600, heartbeatIntervalMs: 200 } },
    });
    ({ token } = await newUser(server));
  });
  afterAll(() => server?.stop());

  it('tells the client the interval and timeout in AuthOk', async () => {
    const s = await connectAuthed(server, token);
    expect([s.authOk.heartbeatIntervalMs, s.authOk.heartbeatTimeoutMs]).toEqual([200, 600]);
    s.ws.close();
  });

  it('closes a silent socket with 4408 after the timeout, not before', async () => {
    const s = await connectAuthed(server, token);
    const started = Date.now();
    expect((await s.closed).code).toBe(4408);
    const took = Date.now() - started;
    expect(took).toBeGreaterThanOrEqual(550);
    // Generous above: a loaded CI machine is slow, and without the timeout it never closes.
    expect(took).toBeLessThan(10_000);
  });

  it('keeps a socket that pings alive well past the timeout', async () => {
    const s = await connectAuthed(server, token);
    const timer = setInterval(() => s.send({ body: { case: 'ping', value: {} } }), 200);
    expect(await closedWithin(s, 1_500)).toBeUndefined();
    clearInterval(timer);
    s.ws.close();
  });

  it('counts WebSocket protocol pings (native clients) as life too', async () => {
    const s = await connectAuthed(server, token);
    const timer = setInterval(() => s.ws.ping(), 200);
    expect(await closedWithin(s, 1_500)).toBeUndefined();
    clearInterval(timer);
    await sleep(0);
    s.ws.close();
  });
});
