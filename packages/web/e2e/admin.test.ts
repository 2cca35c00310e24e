import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { admin, auth } from '@mychat/protocol';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { newPage, PASSWORD, signUp, withBrowser, type Person } from './helpers.js';

/**
 * The operator's console in real Chromium against a real server: a plain user is refused; the
 * admin disables an account (asked for the password once; the person's open app is signed
 * out), resolves a report, sends a notice and finds each action in the audit log; the console
 * on a phone. With MYCHAT_SCREENSHOTS=1 it also writes docs/screenshots/admin-*.png.
 */
const OUT = fileURLToPath(new URL('../../../docs/screenshots', import.meta.url));

describe('web: the operator console', { timeout: 240_000 }, () => {
  const setup = withBrowser();
  const directory = () => setup.server.app.value('rpc').client(auth.UserDirectoryService);
  const idOf = async (p: Person) => (await directory().findUsers({ query: p.email, limit: 1 })).users[0]!.id;
  const section = (p: Page, name: string) =>
    p.getByRole('navigation', { name: 'Console sections' }).getByRole('link', { name });

  it('refuses a plain user; the admin disables an account, resolves a report, sends a notice, reads the log', async () => {
    const [ann, bob, cat] = await Promise.all([
      signUp(setup.browser, setup.server, 'Ann Admin'),
      signUp(setup.browser, setup.server, 'Bob'),
      signUp(setup.browser, setup.server, 'Cat Spammer'),
    ]);
    await directory().setAccountRole({ userId: await idOf(ann), role: 2 });

    await bob.page.goto('/admin');
    await expect
      .poll(() => bob.page.getByRole('alert').textContent())
      .toContain('This console is for operators');
    expect(await bob.page.getByRole('navigation', { name: 'Console sections' }).count()).toBe(0);

    const page = ann.page;
    await page.goto('/admin');
    await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
    await page.getByText('Accounts', { exact: true }).waitFor();

    // Users: find Cat, disable with a reason; the password is asked once.
    await section(page, 'Users').click();
    await page
      .getByRole('searchbox')
      .or(page.getByLabel('Search by email, phone, id or nickname'))
      .first()
      .fill(cat.email);
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByRole('button', { name: /^Cat Spammer/ }).click();
    const card = page.getByRole('article', { name: 'Cat Spammer' });
    await card.getByLabel('Reason (goes into the audit log)').fill('spam in many groups');
    await card.getByRole('button', { name: 'Disable' }).click();
    const dialog = page.getByRole('dialog', { name: 'Confirm your password' });
    await dialog.getByLabel('Password').fill('not the password 1');
    await dialog.getByRole('button', { name: 'Confirm' }).click();
    await dialog.getByRole('alert').waitFor();
    await dialog.getByLabel('Password').fill(PASSWORD);
    await dialog.getByRole('button', { name: 'Confirm' }).click();
    await card.getByRole('button', { name: 'Enable' }).waitFor();
    await card.getByText('Disabled').waitFor();
    // Cat's open app is signed out (told why), and signing in again is refused with the right password.
    await cat.page.waitForURL(/\/login\?ended=disabled/, { timeout: 15_000 });
    await cat.page.getByText('An operator disabled this account.').waitFor();
    await cat.page.getByLabel('Email').fill(cat.email);
    await cat.page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await cat.page.getByRole('button', { name: 'Log in' }).click();
    await expect
      .poll(() => cat.page.getByRole('alert').first().textContent())
      .toContain('disabled by an operator');

    // Reports: one filed by another service; keep it with a reason.
    await setup.server.app
      .value('rpc')
      .client(admin.AdminInternalService)
      .fileReport({
        kind: 'moment',
        targetId: '4242',
        reporterId: await idOf(bob),
        reason: 'rude words',
        snapshot: { authorId: await idOf(cat), authorNickname: 'Cat Spammer', text: 'you are all idiots' },
      });
    await section(page, 'Reports').click();
    const report = page.getByRole('listitem', { name: 'moment 4242' });
    await report.getByText('you are all idiots').waitFor();
    await report.getByLabel('Reason (goes into the audit log)').fill('harsh but allowed');
    await report.getByRole('button', { name: 'Keep' }).click();
    await page.getByText('No reports here.').waitFor();
    await page.getByRole('tab', { name: 'Kept' }).click();
    await page
      .getByRole('listitem', { name: 'moment 4242' })
      .getByText(/harsh but allowed/)
      .waitFor();

    // A notice to everyone (the step-up still counts), seen by Bob live in his open app.
    await bob.page.goto('/');
    await bob.page.getByRole('navigation', { name: 'Main navigation' }).waitFor();
    await section(page, 'System notices').click();
    await page.getByLabel('Title').fill('Maintenance tonight');
    await page.getByLabel('Text').fill('From 22:00 to 23:00 UTC.');
    await page.getByRole('button', { name: 'Publish to everyone' }).click();
    await page.getByRole('status').getByText('Published.').waitFor();
    expect(await dialog.count()).toBe(0);
    // Bob's open app shows it at once, as a banner, until he dismisses it.
    const banner = bob.page.getByRole('alert', { name: 'Notice from the operators' });
    await banner.getByText('Maintenance tonight').waitFor({ timeout: 10_000 });
    await banner.getByText('From 22:00 to 23:00 UTC.').waitFor();
    if (process.env.MYCHAT_SCREENSHOTS)
      for (const scheme of ['light', 'dark'] as const)
        for (const [size, vp] of [
          ['desktop', { width: 1200, height: 760 }],
          ['phone', { width: 390, height: 844 }],
        ] as const) {
          await bob.page.emulateMedia({ colorScheme: scheme });
          await bob.page.setViewportSize(vp);
          await bob.page.waitForTimeout(300);
          await bob.page.screenshot({ path: path.join(OUT, `notice-banner-${size}-${scheme}.png`) });
        }
    await banner.getByRole('button', { name: 'Dismiss the notice' }).click();
    await banner.waitFor({ state: 'detached' });

    // The audit log lists each action.
    await section(page, 'Audit log').click();
    const table = page.getByRole('table');
    for (const action of ['notice.publish', 'report.keep', 'user.disable', 'step_up'])
      await table.getByRole('cell', { name: action, exact: true }).waitFor();

    // On a phone: the sections are a row of tabs above the page.
    await page.setViewportSize({ width: 390, height: 844 });
    await section(page, 'Dashboard').click();
    const nav = await page.getByRole('navigation', { name: 'Console sections' }).boundingBox();
    const main = await page.getByRole('main').boundingBox();
    expect(main!.y).toBeGreaterThanOrEqual(nav!.y + nav!.height - 1);

    if (process.env.MYCHAT_SCREENSHOTS) await screenshots(ann);
  });

  async function screenshots(ann: Person) {
    // A queue with something in it.
    const internal = setup.server.app.value('rpc').client(admin.AdminInternalService);
    const reporter = (await directory().findUsers({ query: ann.email, limit: 1 })).users[0]!.id;
    for (const [target, text] of [
      ['1001:17', 'Cheap watches!!! Click https://example.com/deal now'],
      ['1002:3', 'Everyone in this group is an idiot'],
    ] as const) {
      await internal.fileReport({
        kind: 'message',
        targetId: target,
        reporterId: reporter,
        reason: 'spam',
        snapshot: { authorId: '1', authorNickname: 'Cat Spammer', text },
      });
    }
    const shots = [
      ['admin-dashboard', 'Dashboard'],
      ['admin-users', 'Users'],
      ['admin-reports', 'Reports'],
      ['admin-audit', 'Audit log'],
    ] as const;
    for (const scheme of ['light', 'dark'] as const) {
      await ann.page.emulateMedia({ colorScheme: scheme });
      for (const [size, vp] of [
        ['desktop', { width: 1200, height: 760 }],
        ['phone', { width: 390, height: 844 }],
      ] as const) {
        await ann.page.setViewportSize(vp);
        for (const [name, link] of shots) {
          await section(ann.page, link).click();
          if (link === 'Users') await ann.page.getByRole('button', { name: /^Cat Spammer/ }).click();
          await ann.page.waitForTimeout(400);
          await ann.page.screenshot({ path: path.join(OUT, `${name}-${size}-${scheme}.png`) });
        }
      }
    }
    // Chinese, light: the console of a zh-CN browser.
    const zh = await newPage(setup.browser, setup.server, {
      locale: 'zh-CN',
      viewport: { width: 1200, height: 760 },
    });
    await zh.page.goto('/login');
    await zh.page.getByLabel('邮箱').fill(ann.email);
    await zh.page.getByLabel('密码', { exact: true }).fill(PASSWORD);
    await zh.page.getByRole('button', { name: '登录' }).click();
    await zh.page.getByRole('navigation', { name: '主导航' }).waitFor();
    await zh.page.goto('/admin');
    await zh.page.getByRole('heading', { name: '概览' }).waitFor();
    await zh.page.waitForTimeout(400);
    await zh.page.screenshot({ path: path.join(OUT, 'admin-dashboard-desktop-light-zh.png') });
    await zh.page.getByRole('navigation', { name: '后台栏目' }).getByRole('link', { name: '用户' }).click();
    await zh.page.getByRole('button', { name: /^Cat Spammer/ }).click();
    await zh.page.waitForTimeout(400);
    await zh.page.screenshot({ path: path.join(OUT, 'admin-users-desktop-light-zh.png') });
    await zh.context.close();
  }
});
