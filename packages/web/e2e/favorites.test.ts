import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { befriend, messageLog, openChat, send, signUp, withBrowser } from './helpers.js';

const shot = (name: string) =>
  fileURLToPath(new URL(`../../../docs/screenshots/${name}.png`, import.meta.url));

/**
 * Favourites (收藏) as a person uses them: "Favourite" in a message's menu, then Me ›
 * Favourites: the snapshot stays after the sender recalls the message; search, filter by
 * type and tag, re-tag, forward to a chat and delete; in Chinese on a phone too.
 */
describe('web: favourites', { timeout: 180_000 }, () => {
  const setup = withBrowser();

  it('saves messages, keeps them after a recall, finds, tags, forwards and deletes them', async () => {
    const [ann, bob] = await Promise.all([
      signUp(setup.browser, setup.server, 'Ann'),
      signUp(setup.browser, setup.server, 'Bob'),
    ]);
    await befriend(ann, bob);
    await openChat(bob, 'Ann');
    await send(bob, 'Lake trip on Saturday');
    await send(bob, 'Map: https://example.com/lake');
    await openChat(ann, 'Bob');
    for (const text of ['Lake trip on Saturday', 'Map: https://example.com/lake']) {
      await messageLog(ann).getByRole('article').filter({ hasText: text }).click({ button: 'right' });
      await ann.page.getByRole('menuitem', { name: 'Favourite' }).click();
      await ann.page.getByRole('alert').filter({ hasText: 'Added to favourites' }).waitFor();
    }
    // Bob recalls the first; Ann's favourite keeps it.
    await messageLog(bob)
      .getByRole('article')
      .filter({ hasText: 'Lake trip on Saturday' })
      .click({ button: 'right' });
    await bob.page.getByRole('menuitem', { name: 'Recall' }).click();
    await messageLog(ann).getByText('Bob recalled a message').waitFor();

    const { page } = ann;
    await page.getByRole('link', { name: 'Me' }).click();
    await page.getByRole('link', { name: 'Favourites' }).click();
    const list = page.getByRole('list', { name: 'Favourites' });
    const items = list.getByRole('listitem').filter({ has: page.getByRole('button', { name: 'Delete' }) });
    await expect.poll(() => items.count()).toBe(2);
    await list.getByText('Lake trip on Saturday').waitFor();
    await list
      .getByText(/^From Bob, /)
      .first()
      .waitFor();

    await page.getByLabel('Type').selectOption({ label: 'Links' });
    await expect.poll(() => items.count()).toBe(1);
    await list.getByRole('link', { name: 'https://example.com/lake' }).waitFor();
    await page.getByLabel('Type').selectOption({ label: 'All' });
    await page.getByRole('searchbox', { name: 'Search favourites' }).fill('saturday');
    await expect.poll(() => items.count()).toBe(1);
    await page.getByRole('searchbox', { name: 'Search favourites' }).fill('');
    await expect.poll(() => items.count()).toBe(2);

    const trip = items.filter({ hasText: 'Lake trip on Saturday' });
    await trip.getByRole('button', { name: 'Tags' }).click();
    await trip.getByRole('textbox', { name: 'Tags' }).fill('plans, weekend');
    await trip.getByRole('button', { name: 'Save tags' }).click();
    await trip.getByRole('list', { name: 'Tags' }).getByText('weekend').waitFor();
    await page.getByLabel('Tag', { exact: true }).selectOption('plans');
    await expect.poll(() => items.count()).toBe(1);
    if (process.env.MYCHAT_SCREENSHOTS) await page.screenshot({ path: shot('favorites-desktop-light') });
    await page.getByLabel('Tag', { exact: true }).selectOption({ label: 'All tags' });

    // Forward the saved (and recalled) text back to Bob.
    await trip.getByRole('button', { name: 'Forward' }).click();
    await page.getByRole('dialog', { name: 'Forward to…' }).getByRole('button', { name: 'Bob' }).click();
    await page.getByRole('status').getByText('Forwarded').waitFor();
    await messageLog(bob).getByRole('article').filter({ hasText: 'Lake trip on Saturday' }).waitFor();

    await items.filter({ hasText: 'example.com' }).getByRole('button', { name: 'Delete' }).click();
    await expect.poll(() => items.count()).toBe(1);
    await page.reload();
    await expect.poll(() => items.count()).toBe(1);
  });

  it('in Chinese on a phone', async () => {
    const [cat, dan] = await Promise.all([
      signUp(setup.browser, setup.server, 'Cat', {
        viewport: { width: 390, height: 844 },
        colorScheme: 'dark',
      }),
      signUp(setup.browser, setup.server, 'Dan'),
    ]);
    await befriend(dan, cat);
    await openChat(dan, 'Cat');
    await send(dan, '周六去湖边 https://example.com/hu');
    await cat.page.evaluate(() => localStorage.setItem('mychat.locale', 'zh-CN'));
    await cat.page.reload();
    await cat.page.getByRole('link', { name: /^消息/ }).click();
    await cat.page.getByRole('list', { name: '聊天列表' }).getByRole('link', { name: /^Dan/ }).click();
    const log = cat.page.getByRole('log', { name: '消息' });
    await log.getByRole('article').filter({ hasText: '周六去湖边' }).click({ button: 'right' });
    await cat.page.getByRole('menuitem', { name: '收藏' }).click();
    await cat.page.getByRole('alert').filter({ hasText: '已收藏' }).waitFor();
    await cat.page.goto('/me/favorites');
    await cat.page.getByRole('list', { name: '收藏' }).getByText('周六去湖边', { exact: false }).waitFor();
    await cat.page.getByLabel('类型').waitFor();
    if (process.env.MYCHAT_SCREENSHOTS) await cat.page.screenshot({ path: shot('favorites-phone-dark-zh') });
  });
});
