import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { befriend, signUp, withBrowser, type Person } from './helpers.js';

/**
 * Friend tags in the moments composer, in real Chromium: Ann ticks Bob and Cat, saves them as
 * the tag 家人, unticks them again and posts "only 家人"; Bob sees the post, Dan (Ann's friend,
 * not in the tag) does not. The tag can be deleted after a confirmation. With
 * MYCHAT_SCREENSHOTS=1 it also writes docs/screenshots/moments-tags-*.png.
 */
const OUT = fileURLToPath(new URL('../../../docs/screenshots', import.meta.url));

describe('web: friend tags for a moment’s audience', { timeout: 240_000 }, () => {
  const setup = withBrowser({ overrides: { worker: { pollIntervalMs: 50 }, moments: { fanoutPollMs: 50 } } });
  const discover = (p: Person) =>
    p.page.getByRole('navigation', { name: 'Main navigation' }).getByRole('link', { name: /^Discover/ });
  const feed = (p: Person) => p.page.getByRole('feed', { name: 'Moments' });

  it('saves ticked friends as a tag, posts only to the tag, and deletes the tag', async () => {
    const [ann, bob, cat, dan] = await Promise.all([
      signUp(setup.browser, setup.server, 'Ann Lee'),
      signUp(setup.browser, setup.server, 'Bob'),
      signUp(setup.browser, setup.server, 'Cat'),
      signUp(setup.browser, setup.server, 'Dan'),
    ]);
    for (const p of [bob, cat, dan]) await befriend(p, ann);
    const { page } = ann;
    await discover(ann).click();
    await page.getByRole('link', { name: 'New moment' }).click();
    await page.getByRole('textbox', { name: 'Text of the moment' }).fill('周末家庭聚餐');
    await page.getByRole('radio', { name: 'Only these friends' }).check();
    const tags = page.getByRole('group', { name: 'Friend tags' });
    await tags.getByText('No tags yet').waitFor();
    const only = page.getByRole('group', { name: 'Friends who can see it' });
    // Nothing ticked: no tag can be saved.
    await tags.getByRole('textbox', { name: 'New tag name' }).fill('家人');
    expect(await tags.getByRole('button', { name: 'Save ticked friends as a tag' }).isDisabled()).toBe(true);
    await only.getByRole('checkbox', { name: 'Bob' }).check();
    await only.getByRole('checkbox', { name: 'Cat' }).check();
    await tags.getByRole('button', { name: 'Save ticked friends as a tag' }).click();
    const family = tags.getByRole('checkbox', { name: /家人/ });
    await family.waitFor();
    expect(await family.isChecked()).toBe(true);
    await tags.getByText('2 friends').waitFor();
    // The same name twice is refused with the server's reason.
    await only.getByRole('checkbox', { name: 'Dan' }).check();
    await tags.getByRole('textbox', { name: 'New tag name' }).fill('家人');
    await tags.getByRole('button', { name: 'Save ticked friends as a tag' }).click();
    await tags.getByRole('alert').getByText('You already have a tag with this name.').waitFor();
    await tags.getByRole('textbox', { name: 'New tag name' }).fill('');
    // Only the tag chooses the audience now; its members may be reminded.
    for (const n of ['Bob', 'Cat', 'Dan']) await only.getByRole('checkbox', { name: n }).uncheck();
    const remind = page.getByRole('group', { name: 'Remind who' });
    await remind.getByRole('checkbox', { name: 'Bob' }).waitFor();
    expect(await remind.getByRole('checkbox', { name: 'Dan' }).count()).toBe(0);
    if (process.env.MYCHAT_SCREENSHOTS) {
      for (const [size, vp] of [
        ['desktop', { width: 1200, height: 900 }],
        ['phone', { width: 390, height: 844 }],
      ] as const)
        for (const scheme of ['light', 'dark'] as const) {
          await page.setViewportSize(vp);
          await page.emulateMedia({ colorScheme: scheme });
          await tags.scrollIntoViewIfNeeded();
          await page.screenshot({ path: path.join(OUT, `moments-tags-${size}-${scheme}.png`) });
        }
      await page.emulateMedia({ colorScheme: 'light' });
      await page.setViewportSize({ width: 1200, height: 760 });
    }
    await page.getByRole('button', { name: 'Post', exact: true }).click();
    await feed(ann).getByText('周末家庭聚餐').waitFor();

    await discover(bob).click();
    await feed(bob).getByText('周末家庭聚餐').waitFor({ timeout: 15_000 });
    await discover(dan).click();
    await expect.poll(() => feed(dan).getAttribute('aria-busy'), { timeout: 15_000 }).toBe('false');
    expect(await feed(dan).getByText('周末家庭聚餐').count()).toBe(0);

    // Deleting asks first; cancelling keeps the tag.
    await page.getByRole('link', { name: 'New moment' }).click();
    await page.getByRole('radio', { name: 'All friends except these' }).check();
    await tags.getByRole('button', { name: 'Delete tag 家人' }).click();
    const sure = page.getByRole('alertdialog', { name: /Delete the tag “家人”/ });
    await sure.getByRole('button', { name: 'Cancel' }).click();
    await family.waitFor();
    await tags.getByRole('button', { name: 'Delete tag 家人' }).click();
    await sure.getByRole('button', { name: 'Confirm' }).click();
    await tags.getByText('No tags yet').waitFor();
  });
});
