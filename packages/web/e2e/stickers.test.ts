import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { animatedImage, noisyPng } from '../../server/test/helpers/media-fixtures.js';
import { html, startPageServer, type PageServer } from '../../server/test/helpers/page-server.js';
import { befriend, messageLog, openChat, send, signUp, withBrowser } from './helpers.js';

const shot = (name: string) =>
  fileURLToPath(new URL(`../../../docs/screenshots/${name}.png`, import.meta.url));

/**
 * Stickers (表情包) and link previews as a person uses them: "Add to stickers" on an animated
 * GIF, the picker's sticker tab sends it (drawn without a bubble, still a GIF), and a link gets
 * the server's preview card with the page's image (the server's thumbnail, never the site's
 * file); "Reorder" moves a sticker; in Chinese on a phone in the dark too.
 */
describe('web: stickers and link previews', { timeout: 180_000 }, () => {
  let pages: PageServer;
  // The page server runs before the web server, which is told to trust it (127.0.0.2 only).
  const overrides = { linkPreview: { allowedPrivateAddresses: ['127.0.0.2/32'], caFile: '' } };
  beforeAll(async () => {
    pages = await startPageServer();
    overrides.linkPreview.caFile = pages.certFile;
    pages.routes.set(
      '/lake',
      html(
        '<head><title>Lake Café opens</title><meta name="description" content="Coffee by the water, 9 to 5">' +
          '<meta property="og:image" content="/lake.png"></head>',
      ),
    );
    const lake =
      '<svg xmlns="http://www.w3.org/2000/svg" width="600" height="400"><rect width="600" height="220" fill="#9fd3f0"/>' +
      '<circle cx="420" cy="120" r="50" fill="#ffd35c"/><rect y="220" width="600" height="180" fill="#2f7fb5"/></svg>';
    pages.routes.set('/lake.png', html(await sharp(Buffer.from(lake)).png().toBuffer(), 'image/png'));
  });
  afterAll(() => pages?.stop());
  const setup = withBrowser({ overrides });

  it('keeps an image as a sticker, sends it without a bubble, and previews a link', async () => {
    const [ann, bob] = await Promise.all([
      signUp(setup.browser, setup.server, 'Ann'),
      signUp(setup.browser, setup.server, 'Bob'),
    ]);
    await befriend(ann, bob);
    await openChat(bob, 'Ann');
    await bob.page.getByLabel('Choose photos or videos').setInputFiles({
      name: 'wave.gif',
      mimeType: 'image/gif',
      buffer: await animatedImage('gif', 3, 96),
    });
    await bob.page.getByRole('button', { name: 'Send (1)' }).click();

    await openChat(ann, 'Bob');
    const image = messageLog(ann)
      .getByRole('article')
      .filter({ has: ann.page.locator('.media-image') });
    await image.last().click({ button: 'right', timeout: 30_000 });
    await ann.page.getByRole('menuitem', { name: 'Add to stickers' }).click();
    await ann.page.getByRole('alert').filter({ hasText: 'Added to stickers' }).waitFor();

    await ann.page.getByRole('button', { name: 'Emoji' }).click();
    await ann.page.getByRole('tab', { name: 'Stickers' }).click();
    await ann.page
      .getByRole('region', { name: 'My stickers' })
      .getByRole('button', { name: 'Send sticker' })
      .click();
    const sticker = messageLog(bob).getByRole('img', { name: 'Sticker' });
    await sticker.waitFor();
    // No bubble around it, and the file is the GIF itself (its animation kept).
    expect(
      await messageLog(bob).getByRole('article').filter({ has: sticker }).locator('.bubble').count(),
    ).toBe(0);
    const magic = await sticker.evaluate(async (img: HTMLImageElement) =>
      new TextDecoder().decode((await (await fetch(img.src)).arrayBuffer()).slice(0, 6)),
    );
    expect(magic).toBe('GIF89a');

    // A second sticker, then "Reorder" moves the first one later (kept after a reload).
    await bob.page.getByLabel('Choose photos or videos').setInputFiles({
      name: 'noise.png',
      mimeType: 'image/png',
      buffer: await noisyPng(64, 64),
    });
    await bob.page.getByRole('button', { name: 'Send (1)' }).click();
    await expect.poll(() => image.count(), { timeout: 30_000 }).toBe(2);
    await image.last().click({ button: 'right' });
    await ann.page.getByRole('menuitem', { name: 'Add to stickers' }).click();
    const mine = ann.page.getByRole('region', { name: 'My stickers' });
    const order = () =>
      mine
        .locator('img')
        .evaluateAll((imgs) => imgs.map((i) => new URL((i as HTMLImageElement).src).pathname));
    await ann.page.getByRole('button', { name: 'Emoji' }).click();
    await ann.page.getByRole('tab', { name: 'Stickers' }).click();
    await expect.poll(async () => (await order()).length, { timeout: 15_000 }).toBe(2);
    const [first, second] = await order();
    await mine.getByRole('button', { name: 'Reorder' }).click();
    expect(await mine.getByRole('button', { name: 'Move sticker 1 earlier' }).isDisabled()).toBe(true);
    await mine.getByRole('button', { name: 'Move sticker 1 later' }).click();
    await expect.poll(order).toEqual([second, first]);
    if (process.env.MYCHAT_SCREENSHOTS)
      await ann.page.screenshot({ path: shot('stickers-reorder-desktop-light') });
    await mine.getByRole('button', { name: 'Done' }).click();
    await ann.page.reload();
    await openChat(ann, 'Bob');
    await ann.page.getByRole('button', { name: 'Emoji' }).click();
    await ann.page.getByRole('tab', { name: 'Stickers' }).click();
    await expect.poll(order, { timeout: 15_000 }).toEqual([second, first]);
    await ann.page.keyboard.press('Escape');

    await send(ann, `Opening today: https://127.0.0.2:${pages.port}/lake`);
    const card = messageLog(bob).getByRole('link', { name: 'Link preview: Lake Café opens' });
    await card.waitFor({ timeout: 15_000 });
    await card.getByText('Coffee by the water, 9 to 5').waitFor();
    // The page's image, from the bytes the server sent (a blob: URL), decoded and drawn.
    const thumb = card.getByRole('img', { name: 'Lake Café opens' });
    await thumb.waitFor();
    expect(
      await thumb.evaluate(async (img: HTMLImageElement) => {
        await img.decode();
        return [img.src.slice(0, 5), img.naturalWidth, img.naturalHeight];
      }),
    ).toEqual(['blob:', 160, 160]);
    if (process.env.MYCHAT_SCREENSHOTS) {
      await bob.page.screenshot({ path: shot('stickers-desktop-light') });
      await bob.page.screenshot({ path: shot('link-preview-desktop-light') });
    }

    // In Chinese, on a phone, in the dark: the sticker tab of the picker.
    const cat = await signUp(setup.browser, setup.server, 'Cat', {
      viewport: { width: 390, height: 844 },
      colorScheme: 'dark',
    });
    await befriend(cat, ann);
    await cat.page.evaluate(() => localStorage.setItem('mychat.locale', 'zh-CN'));
    await cat.page.reload();
    await cat.page.getByRole('link', { name: /^消息/ }).click();
    await cat.page.getByRole('list', { name: '聊天列表' }).getByRole('link', { name: /^Ann/ }).click();
    await cat.page.getByRole('button', { name: '表情' }).first().click();
    await cat.page.getByRole('tab', { name: '表情包' }).click();
    await cat.page
      .getByRole('region', { name: '我的表情' })
      .getByText('还没有表情', { exact: false })
      .waitFor();
    if (process.env.MYCHAT_SCREENSHOTS) await cat.page.screenshot({ path: shot('stickers-phone-dark-zh') });
  });

  it('shows the preview made while the peer’s tab was closed once they open the chat again', async () => {
    const [ann, bob] = await Promise.all([
      signUp(setup.browser, setup.server, 'Ann'),
      signUp(setup.browser, setup.server, 'Bob'),
    ]);
    await befriend(ann, bob);
    // The page answers only when let go: the preview is made exactly then.
    let letGo!: () => void;
    const held = new Promise<void>((r) => (letGo = r));
    const market = html(
      '<head><title>Harbour market</title><meta name="description" content="Saturdays"></head>',
    );
    pages.routes.set('/market', (res) => void held.then(() => market(res)));
    await openChat(bob, 'Ann');
    await openChat(ann, 'Bob');
    await send(ann, `Market day: https://127.0.0.2:${pages.port}/market`);
    // Bob's tab has the message (stored in the browser), then closes before the preview exists.
    await messageLog(bob).getByText('Market day:', { exact: false }).waitFor();
    await bob.page.close();
    letGo();
    const card = (p: typeof ann) => messageLog(p).getByRole('link', { name: 'Link preview: Harbour market' });
    await card(ann).waitFor({ timeout: 15_000 });
    bob.page = await bob.context.newPage();
    await bob.page.goto('/');
    await openChat(bob, 'Ann');
    await card(bob).waitFor({ timeout: 15_000 });
    await card(bob).getByText('Saturdays').waitFor();
    // The preview is no row of its own, and no unread: the list still shows the text.
    expect(await messageLog(bob).getByText('[Unsupported message]').count()).toBe(0);
    await bob.page.getByRole('link', { name: /^Chats/ }).click();
    const entry = bob.page.getByRole('list', { name: 'Chat list' }).getByRole('link', { name: /^Ann/ });
    await entry.getByText('Market day:', { exact: false }).waitFor();
  });
});
