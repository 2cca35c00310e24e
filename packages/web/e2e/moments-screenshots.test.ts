import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { describe, it } from 'vitest';
import { befriend, signUp, withBrowser, type Person } from './helpers.js';
import { picture } from './pictures.js';

/**
 * Regenerates the moments screenshots in docs/screenshots/: the feed, the composer, an album and
 * the notices; desktop and phone, light and dark in English, and light in Chinese (`-zh`).
 * Skipped in normal runs; `npm run screenshots` sets MYCHAT_SCREENSHOTS=1.
 */
const OUT = fileURLToPath(new URL('../../../docs/screenshots', import.meta.url));
const DESKTOP = { width: 1200, height: 760 };
const PHONE = { width: 390, height: 780 };
const SCENES = ['sunset', 'lake', 'hills', 'night'] as const;
/** Each set of pictures starts at another scene, so posts do not all open with the same one. */
let picked = 0;

describe.skipIf(!process.env.MYCHAT_SCREENSHOTS)('moments screenshots', { timeout: 240_000 }, () => {
  const setup = withBrowser({ overrides: { worker: { pollIntervalMs: 50 }, moments: { fanoutPollMs: 50 } } });

  /** Every picture on the page has loaded (or there is none). */
  const pictures = (page: Page) =>
    page.waitForFunction(
      () => [...document.querySelectorAll<HTMLImageElement>('.main img')].every((i) => i.complete),
      undefined,
      { timeout: 30_000 },
    );

  async function shoot(
    page: Page,
    name: string,
    open: (phone: boolean) => Promise<void>,
    schemes: readonly ('light' | 'dark')[] = ['light', 'dark'],
  ) {
    for (const scheme of schemes) {
      await page.emulateMedia({ colorScheme: scheme });
      for (const [size, vp] of [
        ['desktop', DESKTOP],
        ['phone', PHONE],
      ] as const) {
        await page.setViewportSize(vp);
        await open(size === 'phone');
        await pictures(page);
        await page.waitForTimeout(400);
        await page.screenshot({ path: path.join(OUT, `${name}-${size}-${scheme}.png`) });
      }
    }
  }

  const files = (n: number, w = 640, h = 420, start = picked++) =>
    Promise.all(
      Array.from({ length: n }, async (_, i) => ({
        name: `IMG_${2040 + i}.png`,
        mimeType: 'image/png',
        buffer: await picture(SCENES[(i + start) % 4]!, w + (i % 3) * 40, h),
      })),
    );

  async function publish(
    p: Person,
    text: string,
    photos: number,
    opts: { location?: string; only?: string[] } = {},
  ) {
    await p.page.goto('/discover/new');
    await p.page.getByRole('textbox', { name: 'Text of the moment' }).fill(text);
    if (photos) await p.page.getByLabel('Choose photos or a video').setInputFiles(await files(photos));
    if (opts.location) await p.page.getByPlaceholder('Where was this? (optional)').fill(opts.location);
    if (opts.only) {
      await p.page.getByRole('radio', { name: 'Only these friends' }).check();
      for (const n of opts.only)
        await p.page
          .getByRole('group', { name: 'Friends who can see it' })
          .getByRole('checkbox', { name: n })
          .check();
    }
    await p.page.getByRole('button', { name: 'Post', exact: true }).click();
    await p.page.waitForURL(/\/discover\/moments$/).catch(async (e: unknown) => {
      throw new Error(`posting failed: ${(await p.page.getByRole('alert').allInnerTexts()).join('; ')}`, {
        cause: e,
      });
    });
  }
  const article = (p: Person, text: string) =>
    p.page.getByRole('feed', { name: 'Moments' }).getByRole('article', { name: new RegExp(text) });

  it('takes them', async () => {
    const [ann, bob, wang, dan] = await Promise.all([
      signUp(setup.browser, setup.server, 'Ann Lee'),
      signUp(setup.browser, setup.server, 'Bob Chen'),
      signUp(setup.browser, setup.server, '王小明'),
      signUp(setup.browser, setup.server, 'Dan'),
    ]);
    await befriend(bob, ann);
    await befriend(wang, ann);
    await befriend(dan, ann);
    await befriend(wang, bob);

    // Ann's cover, then a feed of friends' posts and her own.
    await ann.page.goto('/discover/moments');
    await ann.page
      .getByLabel('Choose a cover picture')
      .setInputFiles({ name: 'cover.png', mimeType: 'image/png', buffer: await picture('lake', 1200, 480) });
    await publish(dan, 'New desk setup, finally 🖥', 1);
    await publish(wang, '今天的晚霞真美，下班路上随手拍的。', 4, { location: '上海 · 外滩' });
    await publish(bob, 'Finished the quarterly report. Time for a long weekend!', 0);
    await publish(bob, 'Morning run by the river 🏃', 1);
    await publish(bob, 'Sunday hike with the team ⛰ 12 km, 800 m up, and the best noodles after.', 3, {
      location: 'Xiangshan, Beijing',
    });
    await publish(ann, 'Weekend at the lake 🏞 Who is coming next time?', 9, { only: ['Bob Chen', '王小明'] });

    // Likes and comments on Ann's post; a reply; a like on Bob's.
    await bob.page.goto('/discover/moments');
    const onBob = article(bob, 'Weekend at the lake');
    await onBob.getByRole('button', { name: 'Like' }).click();
    await onBob.getByRole('button', { name: 'Comment' }).click();
    await onBob.getByRole('textbox', { name: 'Comment' }).fill('Count me in! The sunset one is amazing.');
    await onBob.getByRole('button', { name: 'Send' }).click();
    await onBob.getByText('Count me in!').waitFor();
    await wang.page.goto('/discover/moments');
    const onWang = article(wang, 'Weekend at the lake');
    await onWang.getByRole('button', { name: 'Like' }).click();
    await onWang.getByRole('button', { name: 'Reply to Bob Chen' }).click();
    await onWang.getByRole('textbox', { name: 'Reply to Bob Chen' }).fill('我也去！带上相机 📷');
    await onWang.getByRole('button', { name: 'Send' }).click();
    await onWang.getByText('我也去！').waitFor();
    await ann.page.goto('/discover/moments');
    const bobsPost = article(ann, 'Sunday hike');
    await bobsPost.getByRole('button', { name: 'Like' }).click();
    await bobsPost.getByRole('button', { name: 'Comment' }).click();
    await bobsPost.getByRole('textbox', { name: 'Comment' }).fill('Looks great, next time I join!');
    await bobsPost.getByRole('button', { name: 'Send' }).click();
    await bobsPost.getByText('Looks great').waitFor();
    const bobId = new URL(
      (await bobsPost.getByRole('link', { name: 'Bob Chen' }).getAttribute('href'))!,
      'http://x',
    ).pathname
      .split('/')
      .pop()!;

    /** The four screens; names in the language being shot. */
    const L = {
      posts: 'Posts',
      notices: 'Notices',
      text: 'Text of the moment',
      choose: 'Choose photos or a video',
    };
    const scroll = (top: number) => ann.page.locator('.mbody').evaluate((el, y) => el.scrollTo(0, y), top);
    const feed = async (phone: boolean) => {
      await ann.page.goto('/discover/moments');
      await ann.page
        .getByRole('feed', { name: L.feed })
        .getByRole('article', { name: /Weekend at the lake/ })
        .getByText('我也去！')
        .waitFor();
      // On a desktop, down to the first post's likes and comments (the cover's lower edge stays).
      if (!phone) await scroll(170);
    };
    const composer = async () => {
      await ann.page.goto('/discover/new');
      await ann.page.getByRole('textbox', { name: L.text }).fill('Coffee and a good book ☕📖');
      await ann.page.getByLabel(L.choose).setInputFiles(await files(4, 480, 480));
      await ann.page.getByRole('radio').nth(2).check(); // only these friends
      const only = ann.page
        .getByRole('group')
        .filter({ has: ann.page.getByRole('checkbox') })
        .first();
      await only.getByRole('checkbox').first().check();
      await only.getByRole('checkbox').nth(1).check();
      await ann.page.getByRole('group').last().getByRole('checkbox').first().check(); // remind
      await ann.page.mouse.move(0, 0);
      await scroll(0);
    };
    const album = async () => {
      await ann.page.goto(`/discover/album/${bobId}`);
      await ann.page.getByRole('list', { name: L.posts }).waitFor();
    };
    const notices = async () => {
      await ann.page.goto('/discover/notices');
      await ann.page.getByRole('list', { name: L.notices }).getByRole('link').nth(2).waitFor();
    };
    const all = async (suffix: string, schemes: readonly ('light' | 'dark')[]) => {
      await shoot(ann.page, `moments-feed${suffix}`, feed, schemes);
      await shoot(ann.page, `moments-composer${suffix}`, composer, schemes);
      await shoot(ann.page, `moments-album${suffix}`, album, schemes);
      await shoot(ann.page, `moments-notices${suffix}`, notices, schemes);
    };
    await all('', ['light', 'dark']);

    // The same four in Chinese, light.
    await ann.page.evaluate(() => localStorage.setItem('mychat.locale', 'zh-CN'));
    Object.assign(L, {
      feed: '朋友圈',
      posts: '动态',
      notices: '消息',
      text: '朋友圈内容',
      choose: '选择照片或视频',
    });
    await all('-zh', ['light']);
  });
});
