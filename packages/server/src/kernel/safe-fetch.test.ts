import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { html, redirect, startPageServer, type PageServer } from '../../test/helpers/page-server.js';
import { AppError } from './errors.js';
import type { Resolver } from './public-address.js';
import { safeGet, type SafeFetchOptions } from './safe-fetch.js';

/**
 * The SSRF guard of server-side fetches (link previews) against a real HTTPS server on
 * 127.0.0.2 (self-signed for page.test). Only the test's `allowAddress` lets that one address
 * through; every other loopback, private, link-local or mapped address is refused, before
 * and after redirects.
 */
let pages: PageServer;
let HOST = '';
let port = 0;
let routes: PageServer['routes'];
beforeAll(async () => {
  pages = await startPageServer();
  ({ host: HOST, port, routes } = pages);
});
afterAll(() => pages?.stop());

const DNS: Record<string, string[]> = {
  'page.test': ['127.0.0.2'],
  'private.test': ['10.1.2.3'],
  'mixed.test': ['93.184.216.34', '192.168.0.1'],
  'metadata.test': ['169.254.169.254'],
  'mapped.test': ['::ffff:127.0.0.1'],
};
const resolve: Resolver = async (host) =>
  (DNS[host] ?? []).map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));

const options = (o: Partial<SafeFetchOptions> = {}): SafeFetchOptions => ({
  allowHttp: false,
  maxBytes: 512 * 1024,
  truncate: true,
  timeoutMs: 2000,
  maxRedirects: 3,
  accept: (t) => t === 'text/html',
  resolve,
  allowAddress: (a) => a === HOST,
  ca: pages.ca,
  ...o,
});
const page = (p: string) => pages.url(p);

async function reason(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'ok';
  } catch (e) {
    return e instanceof AppError ? e.reason : String(e);
  }
}

describe('safeGet', () => {
  it('fetches a page from the checked address, following a redirect', async () => {
    routes.set('/a', redirect('/b'));
    routes.set('/b', html('<title>Hello</title>'));
    const r = await safeGet(page('/a'), options());
    expect(r.url.pathname).toBe('/b');
    expect(r).toMatchObject({ mediaType: 'text/html', charset: 'utf-8', truncated: false });
    expect(r.body.toString()).toBe('<title>Hello</title>');
  });

  it.each([
    'https://127.0.0.1/',
    'https://10.0.0.1/',
    'https://169.254.169.254/latest/meta-data/',
    'https://[::1]/',
    'https://[::ffff:127.0.0.1]/',
    'https://[::ffff:7f00:1]/',
    'https://[fe80::1]/',
    'https://[fd00::1]/',
    'https://0.0.0.0/',
    'https://private.test/',
    'https://mixed.test/',
    'https://metadata.test/',
    'https://mapped.test/',
  ])('refuses %s (not a public address)', async (url) => {
    expect(await reason(safeGet(url, options()))).toBe('LINK_PREVIEW_REFUSED');
  });

  it('refuses other schemes, credentials, other ports and http unless allowed', async () => {
    for (const url of [
      'ftp://page.test/',
      'file:///etc/passwd',
      'http://page.test/',
      'https://u:p@page.test/',
      'https://93.184.216.34:8443/',
      'not a url',
    ])
      expect(await reason(safeGet(url, options())), url).toBe('LINK_PREVIEW_REFUSED');
    // http allowed: still the public-address rule.
    expect(await reason(safeGet('http://127.0.0.1/', options({ allowHttp: true })))).toBe(
      'LINK_PREVIEW_REFUSED',
    );
  });

  it('checks every redirect again: to loopback, to a private name, and more than 3', async () => {
    routes.set('/to-loopback', redirect(`https://127.0.0.1:${port}/b`));
    routes.set('/to-private', redirect('https://private.test/'));
    routes.set('/to-http', redirect(`http://page.test:${port}/b`));
    for (let i = 0; i < 5; i++) routes.set(`/loop${i}`, redirect(`/loop${i + 1}`));
    routes.set('/loop5', html('end'));
    expect(await reason(safeGet(page('/to-loopback'), options()))).toBe('LINK_PREVIEW_REFUSED');
    expect(await reason(safeGet(page('/to-private'), options()))).toBe('LINK_PREVIEW_REFUSED');
    expect(await reason(safeGet(page('/to-http'), options()))).toBe('LINK_PREVIEW_REFUSED');
    expect(await reason(safeGet(page('/loop0'), options()))).toBe('LINK_PREVIEW_UNAVAILABLE');
    expect((await safeGet(page('/loop2'), options())).url.pathname).toBe('/loop5');
  });

  it('connects to the address it checked: a second DNS answer cannot rebind it', async () => {
    let asked = 0;
    const rebinding: Resolver = async () => {
      asked++;
      return [{ address: asked === 1 ? HOST : '10.0.0.1', family: 4 }];
    };
    routes.set('/r', redirect('/b'));
    routes.set('/b', html('<title>Hello</title>'));
    const r = await safeGet(`https://rebind.test:${port}/b`, options({ resolve: rebinding }));
    expect(r.body.toString()).toBe('<title>Hello</title>');
    expect(asked).toBe(1);
    // A redirect asks DNS again, and that answer is checked.
    asked = 0;
    expect(await reason(safeGet(`https://rebind.test:${port}/r`, options({ resolve: rebinding })))).toBe(
      'LINK_PREVIEW_REFUSED',
    );
  });

  it('cuts a large page, refuses a large image, an error status and an unwanted type', async () => {
    routes.set('/big', html('x'.repeat(100_000)));
    const big = await safeGet(page('/big'), options({ maxBytes: 1000 }));
    expect(big).toMatchObject({ truncated: true });
    expect(big.body.length).toBe(1000);
    routes.set('/img', (res) => res.writeHead(200, { 'content-type': 'image/png' }).end(Buffer.alloc(5000)));
    const image = options({ maxBytes: 1000, truncate: false, accept: (t) => t.startsWith('image/') });
    expect(await reason(safeGet(page('/img'), image))).toBe('LINK_PREVIEW_UNAVAILABLE');
    expect(await reason(safeGet(page('/img'), options()))).toBe('LINK_PREVIEW_UNAVAILABLE');
    expect(await reason(safeGet(page('/missing'), options()))).toBe('LINK_PREVIEW_UNAVAILABLE');
  });

  it('gives up on a slow server within the time cap', async () => {
    routes.set('/slow', (res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.write('<title>');
      // Never ends; the server closes it when the test is done.
    });
    routes.set('/silent', () => undefined);
    for (const p of ['/slow', '/silent']) {
      const t0 = Date.now();
      expect(await reason(safeGet(page(p), options({ timeoutMs: 300 })))).toBe('LINK_PREVIEW_UNAVAILABLE');
      // The cap is 300 ms; the bound only tells it from no cap (a hang), on a loaded machine.
      expect(Date.now() - t0).toBeLessThan(10_000);
    }
  });
});
