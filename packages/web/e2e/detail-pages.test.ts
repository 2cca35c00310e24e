import type { Locator } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { befriend, signUp, withBrowser } from './helpers.js';

/**
 * The detail screens (a friend, a group, me) share one page shell: on a phone, where the list is
 * hidden, a friend's and a group's page have a Back link to Contacts and a hero whose heading is
 * the name; my own page is a tab of its own, with the same hero and no Back link.
 */
describe('web: the detail page shell on a phone', { timeout: 120_000 }, () => {
  const setup = withBrowser();
  const phone = { viewport: { width: 390, height: 780 } };
  /** Inside the viewport without scrolling. */
  const onScreen = (l: Locator) =>
    l.evaluate((el) => {
      const r = el.getBoundingClientRect();
      return r.top >= 0 && r.bottom <= innerHeight;
    });

  it('friend and group pages lead back to Contacts; Me has the hero and no Back link', async () => {
    const [ann, bob] = await Promise.all([
      signUp(setup.browser, setup.server, 'Ann', phone),
      signUp(setup.browser, setup.server, 'Bob', phone),
    ]);
    await befriend(ann, bob);
    const { page } = ann;

    await page.getByRole('region', { name: 'Friends' }).getByRole('link', { name: 'Bob' }).click();
    const friend = page.getByRole('region', { name: 'Bob' });
    await friend.getByRole('heading', { level: 1, name: 'Bob' }).waitFor();
    await friend.getByRole('link', { name: 'Send message' }).waitFor();
    await friend.getByRole('link', { name: 'Back' }).click();
    await page.getByRole('region', { name: 'Friends' }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/contacts');

    await page.getByRole('link', { name: 'Create group' }).click();
    await page.getByLabel('Group name').fill('Hiking');
    await page.getByRole('checkbox', { name: 'Bob' }).check();
    await page.getByRole('button', { name: 'Create group' }).click();
    await page.waitForURL(/\/chat\//);
    const groupId = new URL(page.url()).pathname.split('/').pop();
    await page.goto(`/contacts/group/${groupId}`);
    const group = page.getByRole('region', { name: 'Hiking' });
    await group.getByRole('heading', { level: 1, name: 'Hiking' }).waitFor();
    await group.getByRole('link', { name: 'Open chat' }).waitFor();
    // A long page opens at its top on a phone (it used to open scrolled to its end): the Back
    // link is on screen, where a thumb finds it.
    const back = group.getByRole('link', { name: 'Back' });
    expect(await onScreen(back)).toBe(true);
    await back.click();
    await page.waitForURL(/\/contacts$/);

    await page.goto('/me');
    const me = page.getByRole('region', { name: 'Me' });
    await me.getByRole('heading', { level: 1, name: 'Ann' }).waitFor();
    expect(await onScreen(me.getByRole('heading', { level: 1, name: 'Ann' }))).toBe(true);
    expect(await me.getByRole('link', { name: 'Back' }).count()).toBe(0);
  });
});
