import { fileURLToPath } from 'node:url';
import { auth } from '@mychat/protocol';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { noisyPng } from '../../server/test/helpers/media-fixtures.js';
import { befriend, openChat, PASSWORD, signUp, withBrowser, type Person } from './helpers.js';

const shot = (name: string) =>
  fileURLToPath(new URL(`../../../docs/screenshots/${name}.png`, import.meta.url));

/**
 * The console's sticker packs page in real Chromium: an admin installs a pack of two images,
 * a user finds it in the picker's sticker tab, the admin removes it (confirmed, then the
 * password again); a moderator has no such page. With MYCHAT_SCREENSHOTS=1 it also writes
 * docs/screenshots/admin-stickers-*.png.
 */
describe('web: sticker packs in the console', { timeout: 240_000 }, () => {
  const setup = withBrowser();
  const directory = () => setup.server.app.value('rpc').client(auth.UserDirectoryService);
  const setRole = async (p: Person, role: number) => {
    const id = (await directory().findUsers({ query: p.email, limit: 1 })).users[0]!.id;
    await directory().setAccountRole({ userId: id, role });
  };
  const nav = (p: Page, name: string) => p.getByRole('navigation', { name }).getByRole('link');

  it('installs a pack a user sees, removes it after a confirmation and the step-up; not for moderators', async () => {
    const [ann, bob, mod] = await Promise.all([
      signUp(setup.browser, setup.server, 'Ann Admin'),
      signUp(setup.browser, setup.server, 'Bob'),
      signUp(setup.browser, setup.server, 'Mo Moderator'),
    ]);
    await setRole(ann, 2);
    await setRole(mod, 1);
    await befriend(bob, ann);

    // A moderator's console has no sticker packs section.
    await mod.page.goto('/admin');
    await mod.page.getByRole('heading', { name: 'Dashboard' }).waitFor();
    expect(await nav(mod.page, 'Console sections').filter({ hasText: 'Reports' }).count()).toBe(1);
    expect(await nav(mod.page, 'Console sections').filter({ hasText: 'Sticker packs' }).count()).toBe(0);

    const page = ann.page;
    await page.goto('/admin');
    await nav(page, 'Console sections').filter({ hasText: 'Sticker packs' }).click();
    await page.getByRole('heading', { name: 'Sticker packs' }).waitFor();
    await page.getByText('No sticker packs installed.').waitFor();
    const form = page.getByRole('form', { name: 'New sticker pack' });
    await form.getByLabel('Pack name').fill('Cats');
    await form.getByLabel('Images').setInputFiles([
      { name: 'one.png', mimeType: 'image/png', buffer: await noisyPng(96, 96) },
      { name: 'two.png', mimeType: 'image/png', buffer: await noisyPng(80, 80) },
    ]);
    await form.getByText('2 images chosen.').waitFor();
    await form.getByRole('button', { name: 'Install pack' }).click();
    await page.getByRole('status').getByText('Installed "Cats".').waitFor({ timeout: 20_000 });
    const installed = page
      .getByRole('list', { name: 'Installed packs' })
      .getByRole('listitem', { name: 'Cats' });
    await installed.getByText('2 stickers').waitFor();
    await expect.poll(() => installed.getByRole('img').count()).toBe(2);

    // Bob finds it in the picker's sticker tab.
    await openChat(bob, 'Ann Admin');
    await bob.page.getByRole('button', { name: 'Emoji' }).click();
    await bob.page.getByRole('tab', { name: 'Stickers' }).click();
    const pack = bob.page.getByRole('region', { name: 'Cats' });
    await expect.poll(() => pack.getByRole('button').count(), { timeout: 15_000 }).toBe(2);

    if (process.env.MYCHAT_SCREENSHOTS) {
      await page.setViewportSize({ width: 1200, height: 760 });
      await page.waitForTimeout(300);
      await page.screenshot({ path: shot('admin-stickers-desktop-light') });
      await page.evaluate(() => localStorage.setItem('mychat.locale', 'zh-CN'));
      await page.emulateMedia({ colorScheme: 'dark' });
      await page.setViewportSize({ width: 390, height: 844 });
      await page.reload();
      await page.getByRole('heading', { name: '表情包' }).waitFor();
      await page.getByRole('listitem', { name: 'Cats' }).getByRole('img').nth(1).waitFor();
      await page.waitForTimeout(300);
      await page.screenshot({ path: shot('admin-stickers-phone-dark-zh') });
      await page.evaluate(() => localStorage.setItem('mychat.locale', 'en'));
      await page.emulateMedia({ colorScheme: 'light' });
      await page.setViewportSize({ width: 1200, height: 760 });
      await page.reload();
    }

    // Removing: cancelling the confirmation keeps it; then confirmed, and the password asked.
    await installed.getByRole('button', { name: 'Remove' }).click();
    const confirm = page.getByRole('dialog', { name: 'Remove this pack?' });
    await confirm.getByRole('button', { name: 'Cancel' }).click();
    await confirm.waitFor({ state: 'detached' });
    await installed.getByRole('button', { name: 'Remove' }).click();
    await confirm.getByText('"Cats" disappears', { exact: false }).waitFor();
    await confirm.getByRole('button', { name: 'Remove' }).click();
    const stepUp = page.getByRole('dialog', { name: 'Confirm your password' });
    await stepUp.getByLabel('Password').fill(PASSWORD);
    await stepUp.getByRole('button', { name: 'Confirm' }).click();
    await page.getByRole('status').getByText('Removed "Cats".').waitFor();
    await page.getByText('No sticker packs installed.').waitFor();
    expect(await installed.count()).toBe(0);

    // Bob's picker, opened again in a fresh app, no longer lists it.
    await bob.page.reload();
    await openChat(bob, 'Ann Admin');
    await bob.page.getByRole('button', { name: 'Emoji' }).click();
    await bob.page.getByRole('tab', { name: 'Stickers' }).click();
    await bob.page.getByRole('region', { name: 'My stickers' }).waitFor();
    expect(await bob.page.getByRole('region', { name: 'Cats' }).count()).toBe(0);
  });
});
