import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { html, redirect, startPageServer, type PageServer } from '../../../../test/helpers/page-server.js';
import type { AppError } from '../../../kernel/errors.js';
import { fetchLinkPreview } from './link-preview.fetch.js';

/** A link's preview end to end against a local HTTPS server, through the guard. */
describe('fetchLinkPreview', () => {
  let pages: PageServer;
  beforeAll(async () => {
    pages = await startPageServer();
  });
  afterAll(() => pages?.stop());

  const limits = { allowHttp: false, maxHtmlBytes: 512 * 1024, timeoutMs: 3000 };
  const hooks = () => ({
    resolve: async () => [{ address: pages.host, family: 4 }],
    allowAddress: (a: string) => a === pages.host,
    ca: pages.ca,
  });

  it('reads og: tags of the page a link redirects to', async () => {
    pages.routes.set('/short', redirect('/article'));
    pages.routes.set(
      '/article',
      html(
        '<head><meta property="og:title" content="Lake Café opens"><meta property="og:description" content="At 9">' +
          '<meta property="og:image" content="/cover.jpg"></head><body>…</body>',
      ),
    );
    expect(await fetchLinkPreview(pages.url('/short'), limits, hooks())).toEqual({
      url: pages.url('/article'),
      title: 'Lake Café opens',
      description: 'At 9',
      siteName: 'page.test',
      imageUrl: pages.url('/cover.jpg'),
    });
  });

  it('decodes a GBK page, and refuses what is not a page', async () => {
    pages.routes.set(
      '/gbk',
      html(
        Buffer.concat([
          Buffer.from('<title>'),
          Buffer.from([0xc4, 0xe3, 0xba, 0xc3]),
          Buffer.from('</title>'),
        ]),
        'text/html; charset=gbk',
      ),
    );
    expect((await fetchLinkPreview(pages.url('/gbk'), limits, hooks())).title).toBe('你好');
    pages.routes.set('/pic', html('x', 'image/png'));
    const err = await fetchLinkPreview(pages.url('/pic'), limits, hooks()).catch((e: unknown) => e);
    expect((err as AppError).reason).toBe('LINK_PREVIEW_UNAVAILABLE');
    // Without the test's hooks, the same server is loopback: refused.
    const refused = await fetchLinkPreview(`https://${pages.host}:${pages.port}/article`, limits).catch(
      (e: unknown) => e,
    );
    expect((refused as AppError).reason).toBe('LINK_PREVIEW_REFUSED');
  });
});
