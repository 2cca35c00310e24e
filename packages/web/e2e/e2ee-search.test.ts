import { describe, expect, it } from 'vitest';
import { encryptedPair, shot } from './e2ee-helpers.js';
import { friendsOnTwoScreens, withBrowser } from './helpers.js';

/**
 * Search in an encrypted chat runs on the device (docs/security.md section 6): the hit on an
 * older page is found, opening it loads that page and scrolls to the message; a too-long query
 * is refused; Chinese on a phone in dark mode.
 */
describe('web: search in an encrypted chat, on the device', { timeout: 180_000 }, () => {
  const setup = withBrowser();

  it('finds a message on an older page and scrolls to it', async () => {
    const [ann, bob] = await friendsOnTwoScreens(setup);
    await encryptedPair(ann, bob);
    const box = ann.page.getByRole('textbox', { name: 'Encrypted message' });
    await box.fill('明天去公园散步吗');
    await box.press('Enter');
    // More than a page (50) after it, so the hit is on an older page than the one shown.
    for (let i = 1; i <= 55; i++) {
      await box.fill(`filler ${i}`);
      await box.press('Enter');
    }
    const bobLog = bob.page.getByRole('log', { name: 'Messages' });
    await bobLog.getByText('filler 55').waitFor({ timeout: 30_000 });
    await bob.page.reload();
    await bobLog.getByText('filler 55').waitFor({ timeout: 20_000 });
    expect(await bobLog.getByText('明天去公园散步吗').count()).toBe(0);

    await bob.page.getByRole('button', { name: 'Search this chat' }).click();
    const panel = bob.page.getByRole('region', { name: 'Search this chat' });
    await panel.getByRole('searchbox', { name: 'Search this chat' }).fill('x'.repeat(101));
    await panel.getByRole('alert').getByText('Search for at most 100 characters.').waitFor();
    await panel.getByRole('searchbox', { name: 'Search this chat' }).fill('公园');
    await panel
      .getByRole('status')
      .getByText(/^1 found in \d+ messages$/)
      .waitFor({ timeout: 20_000 });
    const hit = panel
      .getByRole('list', { name: 'Search results' })
      .getByRole('button', { name: /明天去公园散步吗/ });
    await hit.click();
    const message = bobLog.getByText('明天去公园散步吗');
    await message.waitFor();
    await expect.poll(() => message.isVisible()).toBe(true);
    await expect
      .poll(() => message.evaluate((el) => el.closest('article')?.classList.contains('flash')))
      .toBe(true);

    // In Chinese: the same search, and nothing for a word that is not there.
    await bob.page.evaluate(() => localStorage.setItem('mychat.locale', 'zh-CN'));
    await bob.page.reload();
    await bob.page.getByRole('button', { name: '搜索聊天记录' }).click();
    const zh = bob.page.getByRole('region', { name: '搜索聊天记录' });
    await zh.getByRole('searchbox', { name: '搜索聊天记录' }).fill('公园');
    await zh
      .getByRole('status')
      .getByText(/^在 \d+ 条消息中找到 1 条$/)
      .waitFor({ timeout: 20_000 });
    await shot(bob.page, 'e2ee-search-phone-dark-zh');
    await zh.getByRole('searchbox', { name: '搜索聊天记录' }).fill('火车站');
    await zh
      .getByRole('status')
      .getByText(/^\d+ 条消息中没有找到$/)
      .waitFor({ timeout: 20_000 });
  });
});
