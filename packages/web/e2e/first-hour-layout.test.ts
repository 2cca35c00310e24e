import type { Locator, Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { befriend, signUp, withBrowser } from './helpers.js';

/**
 * Issue 24's first-hour layout defects, on a 390x844 phone:
 * - Me and a group's page (seen by its owner, the longest one) are drawn from their top, and a
 *   page scrolled to its end scrolls back to the avatar, the name, the MyChat ID and the Back arrow;
 * - on New group, the "name required" error going away does not move the member list under the
 *   finger: the first tap on a member after fixing the name ticks that member.
 */
describe('web: first-hour layout on a phone', { timeout: 180_000 }, () => {
  const setup = withBrowser();
  const phone = { viewport: { width: 390, height: 844 } };
  /** Wholly inside the viewport and not covered by anything drawn above it. */
  const onScreen = (l: Locator) =>
    l.evaluate((el) => {
      const r = el.getBoundingClientRect();
      if (r.top < 0 || r.bottom > innerHeight || r.height === 0) return false;
      const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
      return !!hit && (el === hit || el.contains(hit) || hit.contains(el));
    });
  /** Scrolls the page to its end by wheel, as a person would, then back to its start. */
  async function scrollDownAndBack(page: Page) {
    await page.mouse.move(195, 400);
    for (let i = 0; i < 8; i++) await page.mouse.wheel(0, 400);
    await page.waitForTimeout(150);
    for (let i = 0; i < 8; i++) await page.mouse.wheel(0, -400);
    await page.waitForTimeout(150);
  }

  it('Me and the owner’s group page keep their hero and Back arrow reachable', async () => {
    const [ann, bob] = await Promise.all([
      signUp(setup.browser, setup.server, 'Ann', phone),
      signUp(setup.browser, setup.server, 'Bob', phone),
    ]);
    await befriend(ann, bob);
    const { page } = ann;

    await page.getByRole('link', { name: 'Me' }).click();
    const me = page.getByRole('region', { name: 'Me' });
    const name = me.getByRole('heading', { level: 1, name: 'Ann' });
    await name.waitFor();
    await scrollDownAndBack(page);
    expect(await onScreen(name)).toBe(true);
    expect(await onScreen(me.getByText(/^MyChat ID:/))).toBe(true);
    expect(await onScreen(me.locator('.avatar').first())).toBe(true);
    expect(await page.evaluate(() => document.scrollingElement?.scrollTop ?? 0)).toBe(0);

    await page.getByRole('link', { name: 'Contacts' }).click();
    await page.getByRole('link', { name: 'Create group' }).click();
    await page.getByLabel('Group name').fill('Hiking');
    await page.getByRole('checkbox', { name: 'Bob' }).check();
    await page.getByRole('button', { name: 'Create group' }).click();
    await page.waitForURL(/\/chat\//);
    const groupId = new URL(page.url()).pathname.split('/').pop();
    await page.goto(`/contacts/group/${groupId}`);
    const group = page.getByRole('region', { name: 'Hiking' });
    const title = group.getByRole('heading', { level: 1, name: 'Hiking' });
    await title.waitFor();
    // The owner's page is the longest: settings, links, a new link and the invite form open.
    await group.getByRole('button', { name: 'Create invite link' }).click();
    await group.getByRole('button', { name: 'Copy' }).waitFor();
    await group.getByRole('button', { name: 'Invite friends' }).click();
    await scrollDownAndBack(page);
    expect(await onScreen(title)).toBe(true);
    expect(await onScreen(group.getByRole('link', { name: 'Back' }))).toBe(true);
    expect(await page.evaluate(() => document.scrollingElement?.scrollTop ?? 0)).toBe(0);
  });

  it('New group: the first tap on a member after the name error counts', async () => {
    const [cat, dan] = await Promise.all([
      signUp(setup.browser, setup.server, 'Cat', phone),
      signUp(setup.browser, setup.server, 'Dan', phone),
    ]);
    await befriend(cat, dan);
    const { page } = cat;
    await page.getByRole('link', { name: 'Create group' }).click();
    await page.getByRole('button', { name: 'Create group' }).click();
    await page.getByText('This field is required.').waitFor();
    await page.getByLabel('Group name').pressSequentially('Climbing');
    // Where Dan's row is now, while the name field still has the focus (and the error may still
    // show): a person aims at what they see, and the tap lands there.
    const box = await page.getByRole('checkbox', { name: 'Dan' }).boundingBox();
    if (!box) throw new Error('no checkbox for Dan');
    await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
    expect(await page.getByRole('checkbox', { name: 'Dan' }).isChecked()).toBe(true);
    await page.getByRole('button', { name: 'Create group' }).click();
    await page.waitForURL(/\/chat\//);
    await page.getByText('2 members').first().waitFor();
  });
});
