import { randomBytes } from 'node:crypto';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  befriend,
  CONTACTS_SETUPS,
  newUser,
  sendText,
  setupAvailable,
  startContactsEnv,
  type ContactsEnv,
} from '../../../../test/helpers/contacts-helpers.js';
import { eventually } from '../../../../test/helpers/eventually.js';
import { html, redirect, startPageServer, type PageServer } from '../../../../test/helpers/page-server.js';

/**
 * Link previews end to end: a text message with a link gets the page's preview from the
 * server (through the SSRF guard, against a local HTTPS server the operator listed), on
 * history; the cache is shared; loopback that is not listed is never fetched; the page's
 * image becomes a small WebP, or nothing when it cannot be used; the switch.
 */
for (const setup of CONTACTS_SETUPS.filter((s) => !s.fakeMessage)) {
  const ok = await setupAvailable(setup);

  describe.skipIf(!ok)(`link previews on ${setup.name}`, () => {
    let env: ContactsEnv;
    let pages: PageServer;
    beforeAll(async () => {
      pages = await startPageServer();
      env = await startContactsEnv(setup, {
        linkPreview: {
          allowedPrivateAddresses: [`${pages.host}/32`],
          caFile: pages.certFile,
          timeoutMs: 2000,
        },
      });
    });
    afterAll(async () => {
      await env?.stop();
      await pages?.stop();
    });

    const at = (path: string) => `https://${pages.host}:${pages.port}${path}`;
    async function pair() {
      const ann = await newUser(env, 'Ann');
      const bob = await newUser(env, 'Bob');
      return { ann, bob, conv: await befriend(env.api, ann, bob) };
    }
    const previewOf = async (u: { h: object }, conv: string, seq: number, ms = 8000) =>
      (
        await eventually(
          () => env.messages.getHistory({ conversationId: conv, limit: 50 }, u.h),
          (r) => Boolean(r.messages.find((m) => m.seq === seq)?.linkPreview),
          ms,
        )
      ).messages.find((m) => m.seq === seq)?.linkPreview;

    it('previews a link on history for every reader, fetching a page once for every message', async () => {
      const { ann, bob, conv } = await pair();
      const path = `/article-${setup.engine}`;
      pages.routes.set('/go', redirect(path));
      pages.routes.set(
        path,
        html('<head><title>Lake Café</title><meta name="description" content="Opens at 9"></head>'),
      );
      const first = (await sendText(env, ann, conv, `look ${at('/go')} !`)).message!;
      expect(first.linkPreview).toBeUndefined(); // never on the send path
      expect(await previewOf(bob, conv, first.seq)).toMatchObject({
        url: at(path),
        title: 'Lake Café',
        description: 'Opens at 9',
        siteName: pages.host,
      });
      expect(await previewOf(ann, conv, first.seq)).toMatchObject({ title: 'Lake Café' });
      const second = (await sendText(env, bob, conv, `again ${at('/go')}`)).message!;
      expect(await previewOf(ann, conv, second.seq)).toMatchObject({ title: 'Lake Café' });
      expect(pages.hits.get('/go')).toBe(1);
    });

    it("carries the page's image as a WebP thumbnail; an unusable image only means none", async () => {
      const { ann, bob, conv } = await pair();
      const png = await sharp({ create: { width: 800, height: 600, channels: 3, background: '#3a7' } })
        .png()
        .toBuffer();
      const e = setup.engine;
      pages.routes.set(`/cover-${e}.png`, html(png, 'image/png'));
      pages.routes.set(
        `/huge-${e}.png`,
        html(Buffer.concat([png, randomBytes(2 * 1024 * 1024)]), 'image/png'),
      );
      pages.routes.set(`/text-${e}.png`, html(png, 'text/plain'));
      pages.routes.set(`/bad-${e}.jpg`, html(randomBytes(4000), 'image/jpeg'));
      const images = {
        good: at(`/cover-${e}.png`),
        loopback: `https://127.0.0.1:${pages.port}/cover-${e}.png`,
        huge: at(`/huge-${e}.png`),
        text: at(`/text-${e}.png`),
        bad: at(`/bad-${e}.jpg`),
      };
      for (const [name, image] of Object.entries(images))
        pages.routes.set(
          `/img-${name}-${e}`,
          html(`<head><title>Pic ${name}</title><meta property="og:image" content="${image}"></head>`),
        );
      for (const name of Object.keys(images)) {
        const m = (await sendText(env, ann, conv, at(`/img-${name}-${e}`))).message!;
        const p = await previewOf(bob, conv, m.seq);
        expect(p?.title).toBe(`Pic ${name}`);
        if (name !== 'good') {
          expect(p?.image, name).toHaveLength(0);
          continue;
        }
        const meta = await sharp(p!.image).metadata();
        expect(meta).toMatchObject({ format: 'webp', width: 160, height: 160 });
        expect(p!.image.length).toBeLessThanOrEqual(16 * 1024);
      }
      expect(pages.hits.get(`/cover-${e}.png`)).toBe(1); // never from loopback
    });

    it('never fetches a loopback address that is not listed, nor a page that is not HTML', async () => {
      const { ann, conv } = await pair();
      pages.routes.set('/pic', html('x', 'image/png'));
      const loop = (await sendText(env, ann, conv, `https://127.0.0.1:${pages.port}/go`)).message!;
      const pic = (await sendText(env, ann, conv, at('/pic'))).message!;
      await eventually(
        async () => pages.hits.get('/pic') ?? 0,
        (n) => n > 0,
      );
      // Give the refused one the same time; neither ever shows a preview.
      await new Promise((r) => setTimeout(r, 300));
      const page = await env.messages.getHistory({ conversationId: conv, limit: 50 }, ann.h);
      expect(page.messages.find((m) => m.seq === loop.seq)?.linkPreview).toBeUndefined();
      expect(page.messages.find((m) => m.seq === pic.seq)?.linkPreview).toBeUndefined();
    });
  });
}

describe('link previews switched off', () => {
  let env: ContactsEnv;
  let pages: PageServer;
  beforeAll(async () => {
    pages = await startPageServer();
    env = await startContactsEnv(CONTACTS_SETUPS[0]!, {
      linkPreview: { enabled: false, allowedPrivateAddresses: [`${pages.host}/32`], caFile: pages.certFile },
    });
  });
  afterAll(async () => {
    await env?.stop();
    await pages?.stop();
  });

  it('fetches nothing', async () => {
    const ann = await newUser(env, 'Ann');
    const bob = await newUser(env, 'Bob');
    const conv = await befriend(env.api, ann, bob);
    pages.routes.set('/off', html('<title>Off</title>'));
    const m = (await sendText(env, ann, conv, `https://${pages.host}:${pages.port}/off`)).message!;
    await new Promise((r) => setTimeout(r, 500));
    const page = await env.messages.getHistory({ conversationId: conv, limit: 10 }, bob.h);
    expect(page.messages.find((x) => x.seq === m.seq)?.linkPreview).toBeUndefined();
    expect(pages.hits.get('/off')).toBeUndefined();
  });
});
