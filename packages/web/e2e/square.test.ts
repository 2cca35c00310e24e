import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Kysely } from 'kysely';
import { describe, expect, it } from 'vitest';
import { SquareStore } from '../../server/src/services/square/square.repository.js';
import { befriend, signUp, withBrowser, type Person } from './helpers.js';
import { picture } from './pictures.js';

/**
 * The Square in real Chromium against a real server: boards, sort tabs, a new thread with the
 * preview, a reply quoting it, a like, the report dialog, and a moderator's inline tools. An XSS
 * corpus posted through the UI stays inert under the app's CSP (no dialog, no script run, no
 * element made). With MYCHAT_SCREENSHOTS=1 it also writes docs/screenshots/square-*.png.
 */
const OUT = fileURLToPath(new URL('../../../docs/screenshots', import.meta.url));
const XSS = [
  '<script>window.__xss = 1</script>',
  '<img src=x onerror="window.__xss = 2">',
  '[click me](javascript:window.__xss=3)',
  '<svg onload="window.__xss = 4"><circle r="5" /></svg>',
  '<a href="javascript:window.__xss=5">link</a>',
].join('\n\n');

describe('web: square', { timeout: 240_000 }, () => {
  const setup = withBrowser({ overrides: { square: { postsPerMinute: 1000, newAccountPostsPerDay: 1000 } } });

  async function idOf(p: Person): Promise<string> {
    const db = setup.server.app.value('sql').db as Kysely<{ auth_users: { id: string; email: string } }>;
    const r = await db
      .selectFrom('auth_users')
      .select('id')
      .where('email', '=', p.email)
      .executeTakeFirstOrThrow();
    return String(r.id);
  }

  it('boards, sort tabs, a thread with preview, quote, like, report, moderator tools; XSS stays inert', async () => {
    const [ann, mod] = await Promise.all([
      signUp(setup.browser, setup.server, 'Ann Lee'),
      signUp(setup.browser, setup.server, 'Mo Derator'),
    ]);
    const store = SquareStore.of(setup.server.app.value('sql'));
    const boardId = '9000000000000001';
    await store.insertBoard({
      id: boardId,
      name: 'General',
      description: 'Talk about anything',
      groupId: '',
      threadCount: 0,
      createdBy: '0',
      createdAt: Date.now(),
    });
    await store.social.setModerator(boardId, await idOf(mod), true, Date.now());
    const dialogs: string[] = [];
    ann.page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });

    await ann.page
      .getByRole('navigation', { name: 'Main navigation' })
      .getByRole('link', { name: /^Discover/ })
      .click();
    await ann.page.getByRole('link', { name: 'Square' }).click();
    await ann.page
      .getByRole('list', { name: 'Boards' })
      .getByRole('link', { name: /General/ })
      .click();
    await ann.page.getByText('No threads yet').waitFor();
    await ann.page.getByRole('button', { name: 'New thread' }).click();
    const form = ann.page.getByRole('form', { name: 'New thread' });
    await form.getByRole('textbox', { name: 'Title' }).fill('Weekend hike?');
    await form.getByRole('textbox', { name: 'Text (Markdown)' }).fill(`Who is **in**?\n\n${XSS}`);
    await form.getByRole('tab', { name: 'Preview' }).click();
    const preview = form.getByRole('region', { name: 'Preview' });
    await preview.locator('strong', { hasText: 'in' }).waitFor();
    expect(await preview.locator('script, img, svg').count()).toBe(0);
    await form.getByRole('button', { name: 'Post' }).click();

    // The thread page: the server's sanitized HTML, nothing ran.
    const posts = ann.page.getByRole('listitem', { name: /^Ann Lee #0/ });
    await posts.locator('strong', { hasText: 'in' }).waitFor();
    expect(await ann.page.locator('.post-html script, .post-html img, .post-html svg').count()).toBe(0);
    const hrefs = await ann.page
      .locator('.post-html a')
      .evaluateAll((as) => as.map((a) => a.getAttribute('href')));
    expect(hrefs.filter((h) => h && !/^(https?:|mailto:)/.test(h))).toEqual([]);
    await ann.page.getByText('<script>window.__xss = 1</script>').first().waitFor();
    // Reply quoting the first post, like it.
    await posts.getByRole('button', { name: 'Quote' }).click();
    await ann.page.getByText('Quoting Ann Lee').waitFor();
    await ann.page
      .getByRole('form', { name: 'Reply to the thread' })
      .getByRole('textbox', { name: 'Reply to the thread' })
      .fill('Count me in');
    await ann.page.getByRole('button', { name: 'Reply', exact: true }).click();
    const reply = ann.page.getByRole('listitem', { name: /^Ann Lee #1/ });
    await reply.getByText('Count me in').waitFor();
    await reply.locator('blockquote', { hasText: 'Who is' }).waitFor();
    await posts.getByRole('button', { name: /^Like/ }).click();
    await posts.getByRole('button', { name: 'Unlike (1)' }).waitFor();
    expect(await ann.page.evaluate(() => (window as unknown as { __xss?: number }).__xss)).toBeUndefined();
    expect(dialogs).toEqual([]);
    const threadUrl = ann.page.url();

    // The list with its sort tabs.
    await ann.page.goto(`/discover/square/b/${boardId}`);
    const tabs = ann.page.getByRole('tablist', { name: 'Sort threads' });
    for (const name of ['Hot', 'New', 'Latest reply']) {
      await tabs.getByRole('tab', { name }).click();
      await ann.page.getByRole('link', { name: /Weekend hike\?/ }).waitFor();
    }

    // The moderator reports nothing but removes the reply with a reason, and locks the thread.
    await mod.page.goto(threadUrl);
    const modReply = mod.page.getByRole('listitem', { name: /^Ann Lee #1/ });
    await modReply.getByRole('button', { name: 'Report' }).click();
    const report = mod.page.getByRole('dialog', { name: 'Report this post' });
    await report.getByRole('textbox', { name: 'Why? (moderators see this)' }).fill('testing');
    await report.getByRole('button', { name: 'Send' }).click();
    await mod.page.getByText('Thanks, the moderators will look at it.').waitFor();
    await modReply.getByRole('button', { name: 'Remove' }).click();
    const removal = mod.page.getByRole('dialog', { name: 'Remove this post' });
    await removal.getByRole('textbox', { name: 'Reason (told to the author)' }).fill('off topic');
    await removal.getByRole('button', { name: 'Remove' }).click();
    await modReply.getByText('This post was removed: off topic').waitFor();
    const tools = mod.page.getByRole('toolbar', { name: 'Moderator tools' });
    await tools.getByRole('button', { name: 'Lock' }).click();
    await tools.getByRole('button', { name: 'Unlock' }).waitFor();
    // Ann sees it locked: no reply box.
    await ann.page.goto(threadUrl);
    await ann.page.getByText('This thread is locked: no new replies.').waitFor();
    expect(await ann.page.getByRole('toolbar', { name: 'Moderator tools' }).count()).toBe(0);

    if (process.env.MYCHAT_SCREENSHOTS) {
      for (const scheme of ['light', 'dark'] as const)
        for (const [size, vp] of [
          ['desktop', { width: 1200, height: 760 }],
          ['phone', { width: 390, height: 844 }],
        ] as const) {
          await mod.page.emulateMedia({ colorScheme: scheme });
          await mod.page.setViewportSize(vp);
          await mod.page.goto(`/discover/square/b/${boardId}`);
          await mod.page.getByRole('link', { name: /Weekend hike\?/ }).waitFor();
          await mod.page.screenshot({ path: path.join(OUT, `square-board-${size}-${scheme}.png`) });
          await mod.page.goto(threadUrl);
          await mod.page.getByRole('toolbar', { name: 'Moderator tools' }).waitFor();
          await mod.page.screenshot({ path: path.join(OUT, `square-thread-${size}-${scheme}.png`) });
        }
    }
  });

  it('posts a thread with two images and a mention; the friend mentioned gets the notice', async () => {
    const [zoe, yan] = await Promise.all([
      signUp(setup.browser, setup.server, 'Zoe Image'),
      signUp(setup.browser, setup.server, 'Yan Friend'),
    ]);
    await befriend(zoe, yan);
    const { page } = zoe;
    await page.goto('/discover/square/b/9000000000000001');
    await page.getByRole('button', { name: 'New thread' }).click();
    const form = page.getByRole('form', { name: 'New thread' });
    await form.getByRole('textbox', { name: 'Title' }).fill('Photos from the lake');
    await form.getByRole('textbox', { name: 'Text (Markdown)' }).fill('Look');
    await form.locator('input[type=file]').setInputFiles([
      { name: 'lake.png', mimeType: 'image/png', buffer: await picture('lake', 320, 200) },
      { name: 'hills.png', mimeType: 'image/png', buffer: await picture('hills', 320, 200) },
    ]);
    await form.getByRole('list', { name: 'Images to post' }).locator('img').nth(1).waitFor();
    expect(await form.getByRole('button', { name: 'Add images (7 more)' }).count()).toBe(1);
    await form.getByRole('button', { name: 'Mention someone' }).click();
    await form.getByRole('searchbox', { name: 'Find a friend' }).fill('yan');
    await form.getByRole('button', { name: 'Yan Friend' }).click();
    await form.getByRole('list', { name: 'People mentioned' }).getByText('@Yan Friend').waitFor();
    expect(await form.getByRole('textbox', { name: 'Text (Markdown)' }).inputValue()).toBe(
      'Look @Yan Friend ',
    );
    await form.getByRole('button', { name: 'Post' }).click();
    const first = page.getByRole('listitem', { name: /^Zoe Image #0/ });
    await expect.poll(() => first.locator('.images img').count(), { timeout: 20_000 }).toBe(2);
    const store = SquareStore.of(setup.server.app.value('sql'));
    const yanId = await idOf(yan);
    await expect
      .poll(async () => (await store.social.notices(yanId, undefined, 10)).map((n) => n.kind), {
        timeout: 10_000,
      })
      .toEqual([2]);
    if (process.env.MYCHAT_SCREENSHOTS) {
      await page.goto('/discover/square/b/9000000000000001');
      await page.getByRole('button', { name: 'New thread' }).click();
      await form
        .locator('input[type=file]')
        .setInputFiles([
          { name: 'sunset.png', mimeType: 'image/png', buffer: await picture('sunset', 320, 200) },
        ]);
      await form.getByRole('button', { name: 'Mention someone' }).click();
      for (const scheme of ['light', 'dark'] as const)
        for (const [size, vp] of [
          ['desktop', { width: 1200, height: 760 }],
          ['phone', { width: 390, height: 844 }],
        ] as const) {
          await page.emulateMedia({ colorScheme: scheme });
          await page.setViewportSize(vp);
          await page.waitForTimeout(300);
          await page.screenshot({ path: path.join(OUT, `square-composer-${size}-${scheme}.png`) });
        }
    }
  });

  it('shows the Square in Chinese', async () => {
    const li = await signUp(setup.browser, setup.server, 'Li Lei');
    await li.page.evaluate(() => localStorage.setItem('mychat.locale', 'zh-CN'));
    await li.page.goto('/discover/square');
    await li.page.getByRole('region', { name: '广场' }).waitFor();
    await li.page
      .getByRole('list', { name: '版块' })
      .getByRole('link', { name: /General/ })
      .click();
    await li.page.getByRole('tablist', { name: '主题排序' }).getByRole('tab', { name: '热门' }).waitFor();
    if (process.env.MYCHAT_SCREENSHOTS) {
      await li.page.getByRole('link', { name: /Weekend hike\?/ }).waitFor();
      await li.page.screenshot({ path: path.join(OUT, 'square-board-desktop-light-zh.png') });
    }
  });
});
