import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, it } from 'vitest';
import type { TestServer } from '../../server/src/test/test-server.js';
import { befriend, launch, messageLog, newPage, openChat, send, signUp, startWebServer } from './helpers.js';

/**
 * Regenerates docs/screenshots/ (sign-up, chat, contacts; light and dark; desktop and phone).
 * Skipped in normal runs; `npm run screenshots` sets MYCHAT_SCREENSHOTS=1.
 */
const OUT = fileURLToPath(new URL('../../../docs/screenshots', import.meta.url));
const DESKTOP = { width: 1200, height: 760 };
const PHONE = { width: 390, height: 780 };

describe.skipIf(!process.env.MYCHAT_SCREENSHOTS)('screenshots', { timeout: 180_000 }, () => {
  let server: TestServer;
  let browser: Browser;
  beforeAll(async () => {
    server = await startWebServer();
    browser = await launch();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  async function shoot(page: Page, name: string, prepare?: (phone: boolean) => Promise<void>) {
    for (const scheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme: scheme });
      for (const [size, vp] of [
        ['desktop', DESKTOP],
        ['phone', PHONE],
      ] as const) {
        await page.setViewportSize(vp);
        await prepare?.(size === 'phone');
        await page.waitForTimeout(300);
        await page.screenshot({ path: path.join(OUT, `${name}-${size}-${scheme}.png`) });
      }
    }
  }

  it('takes them', async () => {
    const { page: guest } = await newPage(browser, server);
    await guest.goto('/register');
    await guest.getByLabel('Email').fill('ann@example.com');
    await guest.getByLabel('Nickname').fill('Ann');
    await shoot(guest, 'signup');

    const [ann, bob, cat, dan] = await Promise.all([
      signUp(browser, server, 'Ann Lee'),
      signUp(browser, server, 'Bob Chen'),
      signUp(browser, server, '王小明'),
      signUp(browser, server, 'Dan'),
    ]);
    await befriend(bob, ann);
    await befriend(dan, ann);
    // A request Ann has not answered yet: the badge.
    await cat.page.getByRole('link', { name: 'Contacts' }).click();
    await cat.page.getByRole('searchbox', { name: 'Find people' }).fill(ann.email);
    await cat.page.getByRole('button', { name: 'Search' }).click();
    await cat.page.getByLabel('Message with your request').fill('你好，我是徒步群的小明');
    await cat.page.getByRole('button', { name: 'Add friend: Ann Lee' }).click();

    await ann.page.getByRole('link', { name: /^Contacts/ }).click();
    await ann.page.getByRole('link', { name: 'Create group' }).click();
    await ann.page.getByLabel('Group name').fill('Weekend hiking 周末徒步');
    await ann.page.getByRole('checkbox', { name: 'Bob Chen' }).check();
    await ann.page.getByRole('checkbox', { name: 'Dan' }).check();
    await ann.page.getByRole('button', { name: 'Create group' }).click();
    await messageLog(ann).waitFor();
    const groupUrl = new URL(ann.page.url()).pathname.replace('/chat/', '/contacts/group/');
    await ann.page.goto(groupUrl);
    await ann.page.getByLabel('Announcement').fill('Bring water and a rain jacket. 带好水和雨衣。');
    await ann.page.getByRole('button', { name: 'Save' }).click();
    await ann.page.getByText('Saved.').waitFor();
    await openChat(ann, 'Weekend hiking');
    await send(ann, 'Saturday 8:00 at the north gate?');
    await openChat(dan, 'Weekend hiking');
    await send(dan, 'Works for me 👍');

    await openChat(bob, 'Ann Lee');
    await openChat(ann, 'Bob Chen');
    const lines: [typeof ann, string][] = [
      [bob, 'Hi Ann! Are we still on for lunch tomorrow?'],
      [ann, 'Yes! 12:30 at the noodle place near the office?'],
      [bob, 'Perfect. I will book a table for three, Dan is coming too.'],
      [
        ann,
        'Great 😄\nCan you also bring the slides from Monday? I want to go through the numbers once more before the review.',
      ],
      [bob, '没问题，我明天带过来。'],
      [bob, 'By the way, the build is green again: https://ci.example.com/run/4512'],
    ];
    for (const [who, text] of lines) {
      await send(who, text);
      await messageLog(who === ann ? bob : ann)
        .getByText(text.split('\n')[0]!)
        .waitFor();
    }
    // A reply, and Bob typing.
    await messageLog(ann)
      .getByRole('article')
      .filter({ hasText: 'the build is green' })
      .click({ button: 'right' });
    await ann.page.getByRole('menuitem', { name: 'Reply' }).click();
    await send(ann, 'Nice, thanks for fixing it!');
    await messageLog(bob).getByText('Nice, thanks for fixing it!').waitFor();
    await ann.page.waitForTimeout(800);

    await shoot(ann.page, 'chat', async () => {
      await bob.page.getByRole('textbox', { name: 'Message' }).pressSequentially('x');
      await ann.page
        .getByText('Bob Chen is typing…')
        .waitFor({ timeout: 5_000 })
        .catch(() => undefined);
    });
    await shoot(ann.page, 'chats', async (phone) => {
      if (phone) await ann.page.goto('/');
    });

    await ann.page.goto('/contacts');
    await ann.page.getByRole('button', { name: 'Accept: 王小明' }).waitFor();
    await shoot(ann.page, 'contacts', async (phone) => {
      if (!phone)
        await ann.page
          .getByRole('region', { name: 'Friends' })
          .getByRole('link', { name: 'Bob Chen' })
          .click();
      else await ann.page.goto('/contacts');
    });
    await ann.page.goto(groupUrl);
    await ann.page.getByRole('list', { name: 'Members' }).getByText('Dan').waitFor();
    await shoot(ann.page, 'group');
    await ann.page.goto('/me');
    await ann.page.getByRole('list', { name: 'My devices' }).getByText('This device').waitFor();
    await shoot(ann.page, 'me');
  });
});
