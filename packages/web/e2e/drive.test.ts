import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { messageLog, newPage, PASSWORD, signUp, withBrowser, type Person } from './helpers.js';

/**
 * "My files" and the File transfer conversation in real Chromium against a real server: a
 * person keeps folders and files, then sends a file from the browser to their own PC app
 * (the same build in a desktop shell, so the browser session is not ended by the sign-in).
 */
describe('web: my files and file transfer', { timeout: 120_000 }, () => {
  const setup = withBrowser();
  let dora: Person;

  const entries = (page: Page) => page.getByRole('list', { name: 'Files and folders' });
  const actions = async (page: Page, name: string, item: string) => {
    await page.getByRole('button', { name: `Actions for ${name}` }).click();
    await page.getByRole('menuitem', { name: item }).click();
  };

  it('creates, renames (refusing a bad name), moves and deletes folders, with the storage used', async () => {
    dora = await signUp(setup.browser, setup.server, 'Dora');
    const { page } = dora;
    await page.getByRole('link', { name: 'My files' }).click();
    await page.getByRole('heading', { name: 'My files' }).waitFor();
    await page.getByText('This folder is empty').waitFor();
    const meter = page.getByRole('meter', { name: 'Storage used' });
    await expect.poll(() => meter.getAttribute('aria-valuetext'), { timeout: 15_000 }).toMatch(/^0 B of /);

    for (const name of ['Projects', 'Old stuff']) {
      await page.getByRole('button', { name: 'New folder' }).click();
      const dialog = page.getByRole('dialog', { name: 'New folder' });
      await dialog.getByLabel('Folder name').fill(name);
      await dialog.getByRole('button', { name: 'Create' }).click();
      await entries(page).getByRole('link', { name }).waitFor();
    }

    await actions(page, 'Projects', 'Rename');
    const rename = page.getByRole('dialog', { name: 'Rename' });
    await rename.getByLabel('New name').fill('../../etc');
    await rename.getByRole('button', { name: 'Save' }).click();
    await rename.getByText('Use 1–200 characters').waitFor();
    expect(await rename.getByLabel('New name').getAttribute('aria-invalid')).toBe('true');
    await rename.getByLabel('New name').fill('Project notes');
    await rename.getByRole('button', { name: 'Save' }).click();
    await entries(page).getByRole('link', { name: 'Project notes' }).waitFor();
    expect(await entries(page).getByRole('link', { name: 'Projects', exact: true }).count()).toBe(0);

    // Move "Old stuff" into "Project notes" with the folder picker, and follow the breadcrumbs.
    await actions(page, 'Old stuff', 'Move');
    const picker = page.getByRole('dialog', { name: 'Move “Old stuff”' });
    await picker.getByRole('button', { name: 'Open Project notes' }).click();
    await picker.getByText('My files / Project notes').waitFor();
    await picker.getByRole('button', { name: 'Move here' }).click();
    await expect.poll(() => entries(page).getByRole('link', { name: 'Old stuff' }).count()).toBe(0);
    await entries(page).getByRole('link', { name: 'Project notes' }).click();
    const crumbs = page.getByRole('navigation', { name: 'Folder path' });
    await crumbs.getByRole('link', { name: 'Project notes' }).waitFor();
    expect(await crumbs.getByRole('link', { name: 'Project notes' }).getAttribute('aria-current')).toBe(
      'page',
    );
    await entries(page).getByRole('link', { name: 'Old stuff' }).waitFor();

    // Delete asks first; cancelling keeps it.
    await actions(page, 'Old stuff', 'Delete');
    const confirm = page.getByRole('alertdialog', {
      name: 'Delete the folder “Old stuff” and everything in it?',
    });
    await confirm.getByRole('button', { name: 'Cancel' }).click();
    await entries(page).getByRole('link', { name: 'Old stuff' }).waitFor();
    await actions(page, 'Old stuff', 'Delete');
    await confirm.getByRole('button', { name: 'Delete' }).click();
    await page.getByText('This folder is empty').waitFor();
    await crumbs.getByRole('link', { name: 'My files' }).click();
    await entries(page).getByRole('link', { name: 'Project notes' }).waitFor();

    // A folder that is not hers (or not there): a clear message, no crash.
    await page.goto('/files/123456789');
    await page.getByRole('alert').getByText('Could not load this folder.').waitFor();
    await page
      .getByRole('navigation', { name: 'Main navigation' })
      .getByRole('link', { name: 'My files' })
      .click();
    await entries(page).getByRole('link', { name: 'Project notes' }).waitFor();
  });

  it('uploads a file and sends it to File transfer, where the same person’s PC app receives it', async () => {
    const { page } = dora;
    const meter = page.getByRole('meter', { name: 'Storage used' });
    const plan = Buffer.from('Day 1: the north gate at 8:00\n'.repeat(50));
    await page.getByLabel('Upload').setInputFiles({
      name: 'trip-plan.txt',
      mimeType: 'text/plain',
      buffer: plan,
    });
    await entries(page).getByText('trip-plan.txt').waitFor();
    // A name is laid out on its own, so right-to-left text in it cannot reorder what is around it.
    const isolation = (l: ReturnType<Page['getByText']>) =>
      l.evaluate((e) => getComputedStyle(e).unicodeBidi);
    expect(await isolation(entries(page).getByText('trip-plan.txt'))).toBe('isolate');
    // The progress line goes once the upload is done.
    await expect.poll(() => page.getByText('Uploading trip-plan.txt').count(), { timeout: 15_000 }).toBe(0);
    await expect
      .poll(() => meter.getAttribute('aria-valuetext'), { timeout: 15_000 })
      .toMatch(/^1\.5 KB of /);

    // Download saves it under its name, with its bytes.
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      actions(page, 'trip-plan.txt', 'Download'),
    ]);
    expect(download.suggestedFilename()).toBe('trip-plan.txt');
    const saved = await download.createReadStream();
    let size = 0;
    for await (const chunk of saved) size += (chunk as Buffer).length;
    expect(size).toBe(plan.length);

    // The same person on their PC app (a different client type: the browser stays signed in).
    const { context, page: pc } = await newPage(setup.browser, setup.server);
    await context.addInitScript(() => {
      (globalThis as { mychatShell?: object }).mychatShell = { clientType: 'pc' };
    });
    await pc.goto('/login');
    await pc.getByLabel('Email').fill(dora.email);
    await pc.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await pc.getByRole('button', { name: 'Log in' }).click();
    await pc.getByRole('list', { name: 'Chat list' }).getByRole('link', { name: 'File transfer' }).click();
    await pc.getByRole('heading', { name: 'File transfer' }).waitFor();

    await actions(page, 'trip-plan.txt', 'Send to chat');
    await page
      .getByRole('dialog', { name: 'Send “trip-plan.txt”' })
      .getByRole('button', { name: 'File transfer' })
      .click();
    await page.getByRole('status').getByText('Sent to File transfer.').waitFor();

    const other: Person = { context, page: pc, email: dora.email, nickname: 'Dora' };
    const card = messageLog(other).getByRole('article').filter({ hasText: 'trip-plan.txt' });
    await card.waitFor({ timeout: 20_000 });
    await card.getByRole('button', { name: 'Download trip-plan.txt' }).waitFor();
    expect(await isolation(card.getByText('trip-plan.txt', { exact: true }))).toBe('isolate');
    // The chat list previews it with its name; the browser was not signed out.
    await pc.getByRole('list', { name: 'Chat list' }).getByText('[File] trip-plan.txt').waitFor();
    await page.getByRole('link', { name: /^Chats/ }).click();
    await page.getByRole('list', { name: 'Chat list' }).getByText('[File] trip-plan.txt').waitFor();
    expect(await page.getByText('You signed in on another device').count()).toBe(0);

    // The PC app keeps the file in My files (a second entry of the same stored file).
    await card.click({ button: 'right' });
    await pc.getByRole('menuitem', { name: 'Save to My files' }).click();
    await pc.getByText('Saved to My files.').waitFor();
    await pc.getByRole('link', { name: 'My files' }).click();
    await entries(pc).getByText('trip-plan (2).txt').waitFor();
    await entries(pc).getByText('trip-plan.txt').waitFor();
    await context.close();
  });
});
