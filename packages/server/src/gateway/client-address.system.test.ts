import http from 'node:http';
import { auth } from '@mychat/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectReason, uniqueEmail, type AuthClient } from '../../test/helpers/auth-helpers.js';
import { startTestServer, type TestServer } from '../../test/helpers/test-server.js';

/**
 * Per-IP limits key on the client address the gateway derives. A client that writes its own
 * X-Forwarded-For must not get a fresh address per request; a real proxy chain must.
 */
const LIMIT = 3;

const send = (api: AuthClient, xff: string) =>
  api.sendVerificationCode(
    { destination: { case: 'email', value: uniqueEmail('xff') }, purpose: 'register', locale: 'en' },
    { headers: { 'x-forwarded-for': xff } },
  );

describe('client address behind no trusted proxy (the default)', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ overrides: { auth: { sendPerIpPerHour: LIMIT } } });
  });
  afterAll(() => server?.stop());

  it('a forged X-Forwarded-For per request does not escape the per-IP limit', async () => {
    const api = server.client(auth.AuthService);
    for (let i = 0; i < LIMIT; i++) await send(api, `198.51.100.${i + 1}`);
    await expectReason(send(api, '198.51.100.99'), 'RATE_LIMITED');
    expect(await server.app.value('kv').get('auth:send-ip:198.51.100.1')).toBeNull();
  });
});

describe('client address behind a trusted proxy on loopback', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({
      overrides: {
        auth: { sendPerIpPerHour: LIMIT },
        http: { port: 0, trustedProxies: ['127.0.0.1', '::1', '10.0.0.0/8'] },
      },
    });
  });
  afterAll(() => server?.stop());

  it('the left entries a client forged in front of the proxy-appended one do not count', async () => {
    const api = server.client(auth.AuthService);
    // As nginx's $proxy_add_x_forwarded_for passes it: the client's own header, then its address.
    for (let i = 0; i < LIMIT; i++) await send(api, `192.0.2.${i + 1}, 203.0.113.50`);
    await expectReason(send(api, '192.0.2.77, 203.0.113.50'), 'RATE_LIMITED');
    expect(await server.app.value('kv').get('auth:send-ip:203.0.113.50')).toBe(String(LIMIT + 1));
  });

  it('a chain through two trusted proxies picks the address before the first of them', async () => {
    const api = server.client(auth.AuthService);
    await send(api, '192.0.2.1, 203.0.113.60, 10.1.2.3');
    expect(await server.app.value('kv').get('auth:send-ip:203.0.113.60')).toBe('1');
    expect(await server.app.value('kv').get('auth:send-ip:10.1.2.3')).toBeNull();
    // Another client behind the same proxies has its own allowance.
    await send(api, '203.0.113.61, 10.1.2.3');
    expect(await server.app.value('kv').get('auth:send-ip:203.0.113.61')).toBe('1');
  });

  it('a trusted proxy may name the browser host for the WebSocket Origin check', async () => {
    expect(
      await upgrade(server, { origin: 'https://chat.example.com', 'x-forwarded-host': 'chat.example.com' }),
    ).toBe(101);
  });
});

describe('X-Forwarded-Host from an untrusted peer', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ overrides: { http: { port: 0, trustedProxies: ['10.0.0.0/8'] } } });
  });
  afterAll(() => server?.stop());

  it('cannot make a foreign Origin pass the WebSocket Origin check', async () => {
    expect(
      await upgrade(server, { origin: 'https://evil.example', 'x-forwarded-host': 'evil.example' }),
    ).toBe(403);
  });
});

describe('the removed http.trustProxy switch', () => {
  it('is refused with a message naming its replacement', async () => {
    await expect(startTestServer({ overrides: { http: { port: 0, trustProxy: true } } })).rejects.toThrow(
      /http\.trustProxy.*http\.trustedProxies/,
    );
  });

  it('refuses a trusted proxy entry that is not an address or CIDR block', async () => {
    await expect(
      startTestServer({ overrides: { http: { port: 0, trustedProxies: ['proxy.internal'] } } }),
    ).rejects.toThrow(/http\.trustedProxies.*proxy\.internal/);
  });
});

/** The status a WebSocket upgrade request gets (101 or the refusal). */
function upgrade(server: TestServer, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${server.baseUrl}/ws`, {
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
