/** What the encrypted-chat browser tests share: screenshots on demand, the way to the chat. */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';

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
