import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contentSecurityPolicy, createStaticHandler } from './static-handler.js';

/** The web app's file server, on a real socket over a temp dist dir. */
describe('static web handler', () => {
  let dir: string;
  let server: http.Server;
  let base: string;
  const big = 'console.log("hello");\n'.repeat(200);

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mychat-web-'));
    fs.mkdirSync(path.join(dir, 'assets'));
    fs.writeFileSync(path.join(dir, 'index.html'), '<!doctype html><title>app</title>');
    fs.writeFileSync(path.join(dir, 'sw.js'), 'self.x=1');
    fs.writeFileSync(path.join(dir, 'manifest.webmanifest'), '{}');
    fs.writeFileSync(path.join(dir, 'assets', 'index-abc123.js'), big);
    fs.writeFileSync(path.join(dir, 'icon-192.png'), Buffer.from([0x89, 0x50, 0x4e, 0x47]));
    fs.writeFileSync(path.join(os.tmpdir(), 'mychat-secret.txt'), 'secret');
    const handler = createStaticHandler({ root: dir, logger: pino({ level: 'silent' }) });
    server = http.createServer(handler);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => {
    server.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** A raw GET (fetch would normalise ../ away). */
  function get(p: string, headers: Record<string, string> = {}) {
    return new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }>(
      (resolve, reject) => {
        const req = http.request(`${base}`, { path: p, headers }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }),
          );
        });
        req.on('error', reject);
        req.end();
      },
    );
  }

  it('serves index.html at / without caching', async () => {
    const r = await get('/');
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(r.headers['cache-control']).toBe('no-cache');
    expect(r.body.toString()).toContain('<title>app</title>');
  });

  it('sends the security headers with every page: CSP without inline script, nosniff, no referrer, never framed', async () => {
    for (const p of ['/', '/chat/123']) {
      const r = await get(p);
      const csp = String(r.headers['content-security-policy']);
      const directive = (name: string) =>
        csp
          .split(';')
          .map((d) => d.trim())
          .find((d) => d.startsWith(`${name} `));
      expect(directive('script-src')).toBe("script-src 'self' 'wasm-unsafe-eval'");
      expect(directive('default-src')).toBe("default-src 'self'");
      expect(directive('img-src')).toBe("img-src 'self' blob: data:");
      expect(directive('media-src')).toBe("media-src 'self' blob:");
      expect(directive('connect-src')).toBe(
        `connect-src 'self' ws://${new URL(base).host} wss://${new URL(base).host}`,
      );
      expect(directive('frame-ancestors')).toBe("frame-ancestors 'none'");
      expect(directive('object-src')).toBe("object-src 'none'");
      expect(csp).not.toContain('unsafe-inline');
      // WebAssembly may compile ('wasm-unsafe-eval'); script may never be evaluated.
      expect(csp.replace("'wasm-unsafe-eval'", '')).not.toContain('unsafe-eval');
      expect(r.headers['x-content-type-options']).toBe('nosniff');
      expect(r.headers['referrer-policy']).toBe('no-referrer');
      expect(r.headers['x-frame-options']).toBe('DENY');
    }
    const js = await get('/assets/index-abc123.js');
    expect(js.headers['x-content-type-options']).toBe('nosniff');
    expect(js.headers['referrer-policy']).toBe('no-referrer');
    const missing = await get('/nope.js');
    expect(missing.status).toBe(404);
    expect(missing.headers['content-security-policy']).toContain("default-src 'none'");
    expect(missing.headers['x-content-type-options']).toBe('nosniff');
  });

  it('never echoes a crafted Host header into the policy; adds configured media origins, refusing malformed ones', () => {
    const evil = contentSecurityPolicy("x; script-src 'unsafe-inline' evil.example", []);
    expect(evil).not.toContain('evil.example');
    expect(evil).toContain("connect-src 'self';");
    const csp = contentSecurityPolicy('chat.example.com', [
      'https://files.example.com/',
      "https://x.example.com; script-src 'unsafe-inline'",
    ]);
    expect(csp).toContain("img-src 'self' blob: data: https://files.example.com;");
    expect(csp).toContain("media-src 'self' blob: https://files.example.com;");
    expect(csp).toContain(
      "connect-src 'self' ws://chat.example.com wss://chat.example.com https://files.example.com;",
    );
    expect(csp).not.toContain('unsafe-inline');
    expect(contentSecurityPolicy('[::1]:8080')).toContain('ws://[::1]:8080');
  });

  it('falls back to index.html for client routes', async () => {
    const r = await get('/chat/123?x=1');
    expect(r.status).toBe(200);
    expect(r.body.toString()).toContain('<title>app</title>');
  });

  it('caches hashed assets for a year, gzips text, answers 304 to a matching ETag', async () => {
    const r = await get('/assets/index-abc123.js', { 'accept-encoding': 'gzip' });
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(r.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(r.headers['content-encoding']).toBe('gzip');
    expect(zlib.gunzipSync(r.body).toString()).toBe(big);
    const again = await get('/assets/index-abc123.js', { 'if-none-match': String(r.headers.etag) });
    expect(again.status).toBe(304);
  });

  it('never caches the service worker; gives the manifest and PNGs their types', async () => {
    expect((await get('/sw.js')).headers['cache-control']).toBe('no-cache');
    expect((await get('/manifest.webmanifest')).headers['content-type']).toBe(
      'application/manifest+json; charset=utf-8',
    );
    expect((await get('/icon-192.png')).headers['content-type']).toBe('image/png');
  });

  it('answers 404 for a missing file and never serves outside the dir', async () => {
    expect((await get('/assets/missing.js')).status).toBe(404);
    for (const p of [
      '/../mychat-secret.txt',
      '/%2e%2e/mychat-secret.txt',
      '/assets/..%2f..%2fmychat-secret.txt',
    ]) {
      const r = await get(p);
      expect(r.body.toString()).not.toContain('secret');
    }
  });

  it('refuses writes', async () => {
    const r = await fetch(`${base}/`, { method: 'POST' });
    expect(r.status).toBe(405);
  });

  it('says how to build when the dist dir is missing', async () => {
    const handler = createStaticHandler({ root: path.join(dir, 'nope'), logger: pino({ level: 'silent' }) });
    const s = http.createServer(handler);
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    const r = await fetch(`http://127.0.0.1:${(s.address() as AddressInfo).port}/`);
    s.close();
    expect(r.status).toBe(404);
    expect(await r.text()).toContain('npm run build');
  });
});
