import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { shot, startEncrypted } from './e2ee-helpers.js';
import { befriend, newPage, PASSWORD, signUp, withBrowser, type Person } from './helpers.js';

const box = (page: Page) => page.getByRole('textbox', { name: 'Encrypted message' });

async function unlock(page: Page, passphrase: string) {
  await page.getByLabel('Backup passphrase').fill(passphrase);
  await page.getByRole('button', { name: 'Unlock' }).click();
}

async function devicesDialog(page: Page) {
  await page.getByRole('button', { name: 'Encrypted devices and backup' }).click();
  const dialog = page.getByRole('dialog', { name: 'Encrypted devices and backup' });
  await dialog.getByRole('listitem', { name: 'This device' }).waitFor();
  return dialog;
}

/**
 * The device list and the backup screen in real Chromium: a second device restored from the
 * backup shows in the list; removing it rotates the backup key under the current passphrase;
 * changing the passphrase asks for the current one, and then the old one no longer opens it.
 */
describe('web: encrypted devices and backup', { timeout: 180_000 }, () => {
  const setup = withBrowser();

  it('lists my devices, removes one with the backup rotated, and changes the passphrase with the old one', async () => {
    const [ann, bob]: Person[] = await Promise.all([
      signUp(setup.browser, setup.server, 'Ann'),
      signUp(setup.browser, setup.server, 'Bob'),
    ]);
    await befriend(ann, bob);
    await startEncrypted(ann.page, 'Bob');
    await ann.page.getByLabel('Backup passphrase').fill('first-passphrase-1');
    await ann.page.getByRole('button', { name: 'Turn on', exact: true }).click();
    await box(ann.page).waitFor();

    // Ann's PC app (another client type, so the browser stays signed in) unlocks with the backup.
    const { context, page: pc } = await newPage(setup.browser, setup.server, {
      viewport: { width: 390, height: 844 },
      colorScheme: 'dark',
    });
    await context.addInitScript(() => {
      (globalThis as { mychatShell?: object }).mychatShell = { clientType: 'pc' };
    });
    await pc.goto('/login');
    await pc.getByLabel('Email').fill(ann.email);
    await pc.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await pc.getByRole('button', { name: 'Log in' }).click();
    await startEncrypted(pc, 'Bob');
    await unlock(pc, 'first-passphrase-1');
    await box(pc).waitFor();
    const onPc = await devicesDialog(pc);
    await expect.poll(() => onPc.getByRole('listitem').count()).toBe(2);
    await shot(pc, 'e2ee-devices-phone-dark');
    await onPc.getByRole('button', { name: 'Close' }).click();

    // The browser lists both, and removes the PC app: the backup key is rotated under the
    // current passphrase (a wrong one removes nothing).
    const dialog = await devicesDialog(ann.page);
    await expect.poll(() => dialog.getByRole('listitem').count()).toBe(2);
    await dialog.getByText(/^On since /).waitFor();
    await dialog.getByRole('button', { name: /^Remove Device / }).click();
    const remove = dialog.getByRole('button', { name: 'Remove', exact: true });
    expect(await remove.isDisabled()).toBe(true); // the backup key must be rotated: passphrase first
    const current = dialog.getByLabel(/^Current backup passphrase or recovery key \(/);
    await current.fill('not-the-passphrase');
    await remove.click();
    await dialog
      .getByRole('alert')
      .getByText(/^Enter the current backup passphrase/)
      .waitFor();
    expect(await dialog.getByRole('listitem').count()).toBe(2);
    await current.fill('first-passphrase-1');
    await remove.click();
    await dialog
      .getByRole('status')
      .getByText(/^Device \w+ removed\.$/)
      .waitFor();
    expect(await dialog.getByRole('listitem').count()).toBe(1);

    // A new passphrase for the same backup: only with the current one.
    const change = dialog.getByRole('button', { name: 'Change passphrase' });
    await dialog.getByLabel('New backup passphrase').fill('third-passphrase-3');
    expect(await change.isDisabled()).toBe(true);
    await dialog.getByLabel('Current passphrase or recovery key').fill('second-passphrase-2');
    await change.click();
    await dialog
      .getByRole('alert')
      .getByText(/^Enter the current backup passphrase/)
      .waitFor();
    await dialog.getByLabel('Current passphrase or recovery key').fill('first-passphrase-1');
    await change.click();
    await dialog
      .getByRole('status')
      .getByText('The backup now opens with the new passphrase only.')
      .waitFor();
    await shot(ann.page, 'e2ee-devices-desktop-light');

    // The removed PC app must unlock again; only the newest passphrase opens the backup.
    await pc.reload();
    await unlock(pc, 'first-passphrase-1');
    await pc.getByText('That passphrase does not open your backup.').waitFor();
    await unlock(pc, 'third-passphrase-3');
    await box(pc).waitFor();
    await context.close();
  });
});
