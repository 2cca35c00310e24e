import net from 'node:net';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { descriptorLimit } from './connection-cap.js';
import { HttpServer, json, type HttpServerOptions } from './http-server.js';

/** A real listener on port 0 with one echo route that reads the whole body. */
async function start(opts: Partial<HttpServerOptions>): Promise<HttpServer> {
  const s = new HttpServer({
    host: '127.0.0.1',
    port: 0,
    logger: pino({ level: 'silent' }),
    metrics: new Registry(),
    notRunning: () => [],
    unhealthy: async () => [],
    ...opts,
  });
  s.mount('/echo', (req, res) => {
    let n = 0;
    req.on('data', (c: Buffer) => (n += c.length));
    req.on('end', () => json(res, 200, { bytes: n }));
  });
  await s.start();
  servers.push(s);
  return s;
}
const servers: HttpServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.stop(0)));
});

function open(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1', () => resolve(s));
    s.once('error', reject);
  });
}
const closed = (s: net.Socket) =>
  new Promise<void>((resolve) => {
    if (s.destroyed) return resolve();
    s.on('error', () => {});
    s.once('close', () => resolve());
    // Node closes an idle connection either with a 408 answer (its connection check) or
    // without one (the socket timeout), whichever fires first; a paused socket holding unread
    // bytes never sees the end, so read whatever comes.
    s.resume();
  });
/** Everything the server writes until it closes, as text. */
const readAll = (s: net.Socket) =>
  new Promise<string>((resolve) => {
    let text = '';
    s.on('data', (c: Buffer) => (text += c.toString()));
    s.on('error', () => {});
    s.once('close', () => resolve(text));
  });
const get = (path: string) => `GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`;

describe('HttpServer: connections that send nothing', () => {
  it('closes a connection that sends no request headers within headersTimeoutMs', async () => {
    const s = await start({ headersTimeoutMs: 200 });
    const sock = await open(s.port);
    await closed(sock); // the test's own timeout is the failure on a long deadline
    expect(sock.destroyed).toBe(true);
  });

  it('does not bound a slow body (uploads) by the header deadline', async () => {
    const s = await start({ headersTimeoutMs: 200 });
    const sock = await open(s.port);
    const answer = readAll(sock);
    sock.write('POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nConnection: close\r\n\r\nab');
    // Several header deadlines pass between the two halves of the body.
    await new Promise((r) => setTimeout(r, 1_000));
    sock.end('cd');
    expect(await answer).toContain('{"bytes":4}');
  });
});

describe('HttpServer: connection cap', () => {
  it('refuses connections above maxConnections while the open ones keep working', async () => {
    const s = await start({ maxConnections: 2 });
    const [a, b] = [await open(s.port), await open(s.port)];
    const extra = await open(s.port); // the kernel accepts; node closes it at once
    const extraText = readAll(extra);
    extra.write(get('/healthz'));
    expect(await extraText).toBe('');
    for (const sock of [a, b]) {
      const text = readAll(sock);
      sock.write(get('/healthz'));
      expect(await text).toContain('200 OK');
    }
    // Room again once they are gone.
    const again = await open(s.port);
    const text = readAll(again);
    again.write(get('/healthz'));
    expect(await text).toContain('200 OK');
  });
});

describe('HttpServer: /metrics', () => {
  const scrape = async (s: HttpServer, headers: Record<string, string> = {}) => {
    const r = await fetch(`${s.url}/metrics`, { headers });
    return { status: r.status, body: await r.text() };
  };

  it('is served to a direct caller on the allowed list (loopback by default)', async () => {
    const r = await scrape(await start({}));
    expect(r.status).toBe(200);
  });

  it('is not served to a caller off the list, e.g. the public in front of a container', async () => {
    const r = await scrape(await start({ metricsAllowedFrom: ['10.0.0.0/8'] }));
    expect(r.status).toBe(404);
    expect(r.body).not.toContain('# HELP');
  });

  it('is not served through a proxy on loopback, whatever address the header names', async () => {
    const s = await start({ trustedProxies: ['127.0.0.1'] });
    expect((await scrape(s, { 'x-forwarded-for': '203.0.113.5' })).status).toBe(404);
    expect((await scrape(s, { 'x-forwarded-for': '127.0.0.1' })).status).toBe(404);
    expect((await scrape(s, { forwarded: 'for=127.0.0.1' })).status).toBe(404);
  });

  it('is not served at all when the list is empty', async () => {
    expect((await scrape(await start({ metricsAllowedFrom: [] }))).status).toBe(404);
  });
});

describe('HttpServer: while modules start', () => {
  /** A WebSocket upgrade request on a raw socket: the status and Retry-After it gets. */
  const upgradeStatus = async (s: HttpServer) => {
    const sock = await open(s.port);
    const text = readAll(sock);
    sock.write(
      'GET /ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n' +
        'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: MDEyMzQ1Njc4OWFiY2RlZg==\r\n\r\n',
    );
    setTimeout(() => sock.end(), 300);
    const answer = await text;
    return {
      status: Number(/^HTTP\/1\.1 (\d+)/.exec(answer)?.[1]),
      retry: /\r\nretry-after: (\S+)/i.exec(answer)?.[1] ?? null,
    };
  };

  it('answers a route that is not mounted yet (/ws) with 503 and Retry-After, not 404', async () => {
    let notRunning = ['gateway'];
    const s = await start({ notRunning: () => notRunning });
    expect(await upgradeStatus(s)).toEqual({ status: 503, retry: '1' });
    expect((await fetch(`${s.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${s.url}/readyz`)).status).toBe(503);
    notRunning = [];
    expect((await upgradeStatus(s)).status).toBe(404);
  });
});

describe('HttpServer: default connection cap', () => {
  it.runIf(process.platform === 'linux')('is set below the open-file limit when not configured', async () => {
    const s = await start({});
    const limit = descriptorLimit()!;
    expect(s.server.maxConnections).toBeGreaterThan(0);
    expect(s.server.maxConnections).toBeLessThan(limit);
  });
});
