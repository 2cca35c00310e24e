import { randomBytes } from 'node:crypto';
import zlib from 'node:zlib';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { html, redirect, startPageServer, type PageServer } from '../../../../test/helpers/page-server.js';
import { fetchPreviewImage, MAX_IMAGE_BYTES } from './link-preview.image.js';

/** A PNG of the given colour and size. */
const png = (width: number, height: number) =>
  sharp({ create: { width, height, channels: 3, background: '#3a7' } })
    .png()
    .toBuffer();

/** A PNG whose header claims `side`x`side` pixels but whose data is missing. */
async function lyingPng(side: number): Promise<Buffer> {
  const b = Buffer.from(await png(1, 1));
  // IHDR's data starts at 16 (8 signature, 4 length, 4 type); its CRC covers type and data.
  b.writeUInt32BE(side, 16);
  b.writeUInt32BE(side, 20);
  b.writeUInt32BE(zlib.crc32(b.subarray(12, 29)), 29);
  return b;
}

/** A page's og:image through the guard, into a small WebP; anything wrong: no image. */
describe('fetchPreviewImage', () => {
  let pages: PageServer;
  beforeAll(async () => {
    pages = await startPageServer();
  });
  afterAll(() => pages?.stop());

  const limits = { allowHttp: false, timeoutMs: 3000 };
  const hooks = () => ({
    resolve: async () => [{ address: pages.host, family: 4 }],
    allowAddress: (a: string) => a === pages.host,
    ca: pages.ca,
  });

  it('makes a WebP of at most 160x160 from a large image, after a redirect', async () => {
    pages.routes.set('/img', redirect('/cover.png'));
    pages.routes.set('/cover.png', html(await png(1200, 630), 'image/png'));
    const thumb = await fetchPreviewImage(pages.url('/img'), limits, hooks());
    const meta = await sharp(thumb!).metadata();
    expect(meta).toMatchObject({ format: 'webp', width: 160, height: 160 });
    expect(thumb!.length).toBeLessThanOrEqual(16 * 1024);
    // A small one is not enlarged; the first frame of an animation only.
    const frame = (c: string) =>
      sharp({ create: { width: 40, height: 30, channels: 3, background: c } })
        .png()
        .toBuffer();
    const gif = await sharp([await frame('#f00'), await frame('#00f')], { join: { animated: true } })
      .gif()
      .toBuffer();
    expect((await sharp(gif).metadata()).pages).toBe(2);
    pages.routes.set('/small.gif', html(gif, 'image/gif'));
    const small = await sharp(
      (await fetchPreviewImage(pages.url('/small.gif'), limits, hooks()))!,
    ).metadata();
    expect(small).toMatchObject({ format: 'webp', width: 40, height: 30 });
    expect(small.pages ?? 1).toBe(1);
  });

  it('gives no image for a private address, a huge, damaged or non-image answer, or a bomb', async () => {
    pages.routes.set('/ok.png', html(await png(300, 200), 'image/png'));
    // The same server without the hooks is loopback: refused before any request.
    const hitsBefore = pages.hits.get('/ok.png') ?? 0;
    expect(await fetchPreviewImage(`https://${pages.host}:${pages.port}/ok.png`, limits)).toBeUndefined();
    expect(pages.hits.get('/ok.png') ?? 0).toBe(hitsBefore);
    pages.routes.set(
      '/huge.png',
      html(Buffer.concat([await png(10, 10), randomBytes(MAX_IMAGE_BYTES)]), 'image/png'),
    );
    pages.routes.set('/text.png', html(await png(300, 200), 'text/plain'));
    pages.routes.set('/svg', html('<svg xmlns="http://www.w3.org/2000/svg"/>', 'image/svg+xml'));
    pages.routes.set('/bad.jpg', html(randomBytes(5000), 'image/jpeg'));
    pages.routes.set('/cut.png', html((await png(300, 200)).subarray(0, 120), 'image/png'));
    pages.routes.set('/lying.png', html(await lyingPng(30_000), 'image/png'));
    // 25 million pixels (a decompression bomb's shape) in 350 KB: refused by the pixel limit.
    pages.routes.set('/bomb.png', html(await png(5000, 5000), 'image/png'));
    for (const path of ['/huge.png', '/text.png', '/svg', '/bad.jpg', '/cut.png', '/lying.png', '/bomb.png'])
      expect(await fetchPreviewImage(pages.url(path), limits, hooks()), path).toBeUndefined();
    expect(await fetchPreviewImage(pages.url('/ok.png'), limits, hooks())).toBeInstanceOf(Buffer);
  });
});
