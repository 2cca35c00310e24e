/** What the encrypted-chat browser tests share: screenshots on demand, the way to the chat. */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import type { Person } from './helpers.js';

const OUT = fileURLToPath(new URL('../../../docs/screenshots', import.meta.url));

/** docs/screenshots/<name>.png, with MYCHAT_SCREENSHOTS=1 only. */
export async function shot(page: Page, name: string): Promise<void> {
  if (!process.env.MYCHAT_SCREENSHOTS) return;
  await page.waitForTimeout(300);
  await page.screenshot({ path: path.join(OUT, `${name}.png`) });
}

/** From the contacts tab to a friend's page, then "Start encrypted chat". */
export async function startEncrypted(page: Page, friend: string): Promise<void> {
  await page.getByRole('link', { name: /^Contacts/ }).click();
  await page.getByRole('region', { name: 'Friends' }).getByRole('link', { name: friend }).click();
  await page.getByRole('link', { name: 'Start encrypted chat' }).click();
}

/** Both people turn encrypted chats on (no backup) and one message crosses, so both keys exist. */
export async function encryptedPair(ann: Person, bob: Person): Promise<void> {
  await startEncrypted(bob.page, 'Ann');
  await bob.page.getByRole('button', { name: 'Turn on without a backup' }).click();
  await startEncrypted(ann.page, 'Bob');
  await ann.page.getByRole('button', { name: 'Turn on without a backup' }).click();
  const box = ann.page.getByRole('textbox', { name: 'Encrypted message' });
  await box.fill('Hello, encrypted');
  await box.press('Enter');
  await bob.page
    .getByRole('log', { name: 'Messages' })
    .getByText('Hello, encrypted')
    .waitFor({ timeout: 20_000 });
}
