import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { befriend, messageLog, openChat, send, signUp, withBrowser, type Person } from './helpers.js';

const OUT = fileURLToPath(new URL('../../../docs/screenshots', import.meta.url));
const SHOTS = !!process.env.MYCHAT_SCREENSHOTS;
const PHONE = { width: 390, height: 844 };

/** Opens a message's action menu and picks an entry. */
async function menu(p: Person, text: string, entry: string) {
  const row = messageLog(p).getByRole('article').filter({ hasText: text }).last();
  await row.hover();
  await row.getByRole('button', { name: 'Message actions' }).click();
  await p.page.getByRole('menuitem', { name: entry }).click();
}

async function shot(page: Page, name: string) {
  if (!SHOTS) return;
  await page.waitForTimeout(400);
  await page.screenshot({ path: path.join(OUT, `${name}.png`) });
}

/**
 * Merge-forward, delete for me, clear history and drafts in real Chromium against a real
 * server: found by role and label, as a person would.
 */
describe('web: chat records', { timeout: 180_000 }, () => {
  const setup = withBrowser();

  it('multi-selects and forwards as one chat record with a note; the other side opens it read-only', async () => {
    const [ann, bob] = await Promise.all([
      signUp(setup.browser, setup.server, 'Ann'),
      signUp(setup.browser, setup.server, 'Bob'),
    ]);
    await befriend(ann, bob);
    await openChat(ann, 'Bob');
    for (const text of ['Train at 9:40', 'Platform 3', 'Bring snacks']) await send(ann, text);
    await messageLog(ann).getByText('Bring snacks').waitFor();

    await menu(ann, 'Train at 9:40', 'Select');
    const boxes = ann.page.getByRole('checkbox', { name: /^Select message from Ann/ });
    await expect.poll(() => boxes.count()).toBe(3);
    await boxes.nth(1).check();
    const bar = ann.page.getByRole('toolbar', { name: 'Actions for selected messages' });
    await bar.getByText('2 selected').waitFor();
    await shot(ann.page, 'records-select-desktop-light');
    await bar.getByRole('button', { name: 'Forward' }).click();
    await ann.page.getByRole('dialog', { name: 'Forward to…' }).getByRole('button', { name: 'Bob' }).click();
    const confirm = ann.page.getByRole('dialog', { name: 'Send to Bob?' });
    expect(await confirm.getByLabel('Title').inputValue()).toBe('Chat history of Ann and Bob');
    await confirm.getByLabel('Leave a note (optional)').fill('For Saturday');
    await shot(ann.page, 'records-forward-desktop-light');
    await confirm.getByRole('button', { name: 'Send' }).click();
    await ann.page.getByRole('alert').getByText('Forwarded').waitFor();
    await expect.poll(() => bar.count()).toBe(0);

    await openChat(bob, 'Ann');
    const card = messageLog(bob).getByRole('button', {
      name: 'Open chat history: Chat history of Ann and Bob',
    });
    await card.waitFor();
    await messageLog(bob).getByText('For Saturday').waitFor();
    await card.click();
    const viewer = bob.page.getByRole('dialog', { name: 'Chat history of Ann and Bob' });
    const items = viewer.getByRole('list', { name: 'Chat history' }).getByRole('listitem');
    await expect.poll(() => items.count()).toBe(2);
    expect(await items.nth(0).textContent()).toContain('Train at 9:40');
    expect(await items.nth(1).textContent()).toContain('Platform 3');
    expect(await viewer.textContent()).not.toContain('Unsupported');
    await shot(bob.page, 'records-viewer-desktop-light');
    await bob.page.keyboard.press('Escape');
    await expect.poll(() => viewer.count()).toBe(0);

    // Delete for me: gone here, not for Bob.
    await menu(ann, 'Bring snacks', 'Delete');
    await ann.page.getByRole('alertdialog').getByRole('button', { name: 'Delete' }).click();
    await expect.poll(() => messageLog(ann).getByText('Bring snacks').count()).toBe(0);
    await messageLog(bob).getByText('Bring snacks').waitFor();

    // A draft survives a reload, with its marker in the chat list.
    await ann.page.getByRole('textbox', { name: 'Message' }).fill('half a thought');
    await ann.page.waitForTimeout(1500);
    await ann.page.reload();
    const list = ann.page.getByRole('list', { name: 'Chat list' });
    await list.getByText('half a thought').waitFor();
    await list.getByText('[Draft]').waitFor();
    await openChat(ann, 'Bob');
    await expect
      .poll(() => ann.page.getByRole('textbox', { name: 'Message' }).inputValue())
      .toBe('half a thought');

    // Clear history from chat info: nothing left here, everything still at Bob's.
    await ann.page.getByRole('button', { name: 'Chat info' }).click();
    const info = ann.page.getByRole('complementary', { name: 'Chat info' });
    await info.getByRole('region', { name: 'Media and files' }).waitFor();
    await shot(ann.page, 'records-chat-info-desktop-light');
    await info.getByRole('button', { name: 'Clear chat history' }).click();
    await info.getByRole('alertdialog').getByRole('button', { name: 'Clear chat history' }).click();
    await expect.poll(() => messageLog(ann).getByText('Train at 9:40', { exact: true }).count()).toBe(0);
    await messageLog(bob).getByText('Train at 9:40', { exact: true }).waitFor();

    if (SHOTS) {
      // Ann's chat info on a phone; Bob's record viewer on a dark desktop.
      await ann.page.setViewportSize(PHONE);
      await shot(ann.page, 'records-chat-info-phone-light');
      await bob.page.emulateMedia({ colorScheme: 'dark' });
      await card.click();
      await viewer.waitFor();
      await shot(bob.page, 'records-viewer-desktop-dark');
      await bob.page.keyboard.press('Escape');
      // Phone, Chinese, dark: Bob selects in his chat and opens the record.
      await bob.page.setViewportSize(PHONE);
      await bob.page.emulateMedia({ colorScheme: 'dark' });
      await bob.page.evaluate(() => localStorage.setItem('mychat.locale', 'zh-CN'));
      await bob.page.reload();
      await bob.page.getByRole('log').getByText('Platform 3', { exact: true }).waitFor();
      const row = bob.page.getByRole('log').getByRole('article').filter({ hasText: 'Platform 3' }).first();
      await row.hover();
      await row.getByRole('button').last().click();
      await bob.page.getByRole('menuitem', { name: '多选' }).click();
      await bob.page.getByRole('toolbar').waitFor();
      await shot(bob.page, 'records-select-phone-dark-zh');
      await bob.page.getByRole('toolbar').getByRole('button', { name: '取消' }).click();
      await bob.page
        .getByRole('log')
        .getByRole('button', { name: /^打开聊天记录/ })
        .click();
      await bob.page.getByRole('dialog').waitFor();
      await shot(bob.page, 'records-viewer-phone-dark-zh');
    }
  });
});
