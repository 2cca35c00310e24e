import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../../test/helpers/test-server.js';
import { connect, connectAuthed, is, newUser } from './ws.test-helpers.js';

/** A raw upgrade request: the status line the server answers with, and its headers. */
function rawUpgrade(server: TestServer, headers: Record<string, string>, path = '/ws'): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${server.baseUrl}${path}`, {
      headers: {
        connection: 'Upgrade',
        upgrade: 'websocket',
        'sec-websocket-version': '13',
        'sec-websocket-key': Buffer.from('0123456789abcdef').toString('base64'),
        ...headers,
      },
    });
    req.on('upgrade', (res, socket) => {
      socket.destroy();
      resolve(res.statusCode ?? 0);
    });
    req.on('response', (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}

/** onConnect: the checks made before any 101 (path, Origin allowlist). */
describe('ws upgrade checks', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer({ overrides: { ws: { allowedOrigins: ['https://chat.example.com'] } } });
  });
  afterAll(() => server?.stop());

  it('refuses a foreign Origin with HTTP 403 and never a 101', async () => {
    expect(await rawUpgrade(server, { origin: 'https://evil.example.net' })).toBe(403);
    await expect(connect(server, { origin: 'https://evil.example.net' })).rejects.toThrow('HTTP 403');
  });

  it('refuses the opaque "null" Origin', async () => {
    expect(await rawUpgrade(server, { origin: 'null' })).toBe(403);
  });

  it('refuses the same host name on another port', async () => {
    const host = new URL(server.baseUrl).host;
    const [name] = host.split(':');
    expect(await rawUpgrade(server, { origin: `http://${name}:1` })).toBe(403);
  });

  it('lets an allowlisted Origin through (case and trailing slash do not matter)', async () => {
    expect(await rawUpgrade(server, { origin: 'https://Chat.Example.com/' })).toBe(101);
    const { token } = await newUser(server);
    const s = await connect(server, { origin: 'https://chat.example.com' });
    s.send({ requestId: 1, body: { case: 'auth', value: { accessToken: token } } });
    expect((await s.next(is('authOk'))).frame.body.case).toBe('authOk');
    s.ws.close();
  });

  it("lets the page's own origin (same host as the request) through", async () => {
    const host = new URL(server.baseUrl).host;
    expect(await rawUpgrade(server, { origin: `http://${host}` })).toBe(101);
  });

  it('lets a request without Origin (native apps, bots) through', async () => {
    expect(await rawUpgrade(server, {})).toBe(101);
    const { token } = await newUser(server);
    const s = await connectAuthed(server, token);
    s.ws.close();
  });

  it('answers upgrades on other paths with 404', async () => {
    expect(await rawUpgrade(server, {}, '/wss')).toBe(404);
    expect(await rawUpgrade(server, {}, '/ws/x')).toBe(404);
  });
});

describe('ws upgrade cap on unauthenticated sockets', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer({ overrides: { ws: { maxPendingSockets: 2 } } });
  });
  afterAll(() => server?.stop());

  it('refuses with 503 while too many sockets wait to authenticate, and accepts again after', async () => {
    const a = await connect(server);
    const b = await connect(server);
    expect(await rawUpgrade(server, {})).toBe(503);
    a.ws.close();
    b.ws.close();
    await Promise.all([a.closed, b.closed]);
    await new Promise((r) => setTimeout(r, 50));
    const c = await connect(server);
    c.ws.close();
  });
});
