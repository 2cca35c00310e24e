import type { Locator } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { befriend, signUp, withBrowser, type Person } from './helpers.js';
import { picture } from './pictures.js';

/**
 * Moments in real Chromium against a real server. Ann posts 9 photos for "only Bob and Cat"
 * (Bob and Cat are friends of each other, Dan is Ann's friend but left out). Bob, on the chat
 * list, gets the red dot with Ann's avatar; he likes and comments, Cat replies to him; each
 * notice reaches its person live, and Ann's open feed shows the like and the comments as they
 * come. Dan sees nothing: no dot, an empty feed, an empty album of Ann.
 */
describe('web: moments', { timeout: 240_000 }, () => {
  const setup = withBrowser({ overrides: { worker: { pollIntervalMs: 50 }, moments: { fanoutPollMs: 50 } } });

  const discover = (p: Person) =>
    p.page.getByRole('navigation', { name: 'Main navigation' }).getByRole('link', { name: /^Discover/ });
  const feed = (p: Person) => p.page.getByRole('feed', { name: 'Moments' });
  const post = (p: Person, text: string) =>
    feed(p).getByRole('article', { name: new RegExp(`^Ann Lee: ${text}`) });
  async function loaded(img: Locator) {
    await expect
      .poll(() => img.evaluate((i: HTMLImageElement) => (i.complete ? i.naturalWidth : 0)), {
        timeout: 30_000,
      })
      .toBeGreaterThan(0);
  }

  it('posts 9 photos to two friends; likes, comments, a reply and notices arrive live; the third friend sees nothing', async () => {
    const [ann, bob, cat, dan] = await Promise.all([
      signUp(setup.browser, setup.server, 'Ann Lee'),
      signUp(setup.browser, setup.server, 'Bob'),
      signUp(setup.browser, setup.server, 'Cat'),
      signUp(setup.browser, setup.server, 'Dan'),
    ]);
    await befriend(bob, ann);
    await befriend(cat, ann);
    await befriend(dan, ann);
    await befriend(cat, bob);
    for (const p of [bob, dan]) await p.page.getByRole('link', { name: /^Chats/ }).click();

    // Ann writes the post: 9 photos (one edited first), only Bob and Cat, Cat reminded.
    await discover(ann).click();
    await ann.page.getByRole('link', { name: 'New moment' }).click();
    await ann.page.getByRole('textbox', { name: 'Text of the moment' }).fill('Weekend at the lake 🏞');
    const scenes = ['sunset', 'lake', 'hills', 'night'] as const;
    await ann.page.getByLabel('Choose photos or a video').setInputFiles(
      await Promise.all(
        Array.from({ length: 9 }, async (_, i) => ({
          name: `photo-${i + 1}.png`,
          mimeType: 'image/png',
          buffer: await picture(scenes[i % 4]!, 320 + i * 8, 240),
        })),
      ),
    );
    const tray = ann.page.getByRole('list', { name: 'Ready to send' });
    await expect.poll(() => tray.getByRole('listitem').count()).toBe(9);
    await expect.poll(() => ann.page.getByRole('button', { name: 'Photos or video' }).count()).toBe(0);
    await tray.getByRole('button', { name: 'Edit photo-1.png' }).click();
    const editor = ann.page.getByRole('dialog', { name: 'Edit image' });
    await editor.getByRole('button', { name: 'Rotate 90°' }).click();
    await editor.getByRole('button', { name: 'Done' }).click();
    await editor.waitFor({ state: 'detached' });

    await ann.page.getByRole('radio', { name: 'Only these friends' }).check();
    const only = ann.page.getByRole('group', { name: 'Friends who can see it' });
    await only.getByRole('checkbox', { name: 'Bob' }).check();
    await only.getByRole('checkbox', { name: 'Cat' }).check();
    const remind = ann.page.getByRole('group', { name: 'Remind who' });
    // Only friends who will see the post can be reminded.
    expect(await remind.getByRole('checkbox', { name: 'Dan' }).count()).toBe(0);
    await remind.getByRole('checkbox', { name: 'Cat' }).check();
    await ann.page.getByRole('button', { name: 'Post', exact: true }).click();

    const mine = post(ann, 'Weekend at the lake');
    await mine.getByRole('group', { name: '9 images' }).waitFor({ timeout: 60_000 });
    await loaded(mine.getByRole('button', { name: 'Open image 9' }).locator('img'));
    await mine.getByText('Delete').waitFor();

    // Bob, on his chat list: the red dot with Ann's avatar, live. He opens the feed.
    await discover(bob).getByRole('img', { name: 'New moments from Ann Lee' }).waitFor();
    await discover(bob).click();
    const seen = post(bob, 'Weekend at the lake');
    await loaded(seen.getByRole('button', { name: 'Open image 1' }).locator('img'));
    expect(await seen.getByRole('button', { name: /^Open image/ }).count()).toBe(9);
    expect(await seen.getByText('Delete').count()).toBe(0);
    await expect.poll(() => discover(bob).getByRole('img').count()).toBe(0); // the dot went with the read

    // The full-size viewer opens from the grid.
    await seen.getByRole('button', { name: 'Open image 2' }).click();
    await loaded(bob.page.getByRole('dialog', { name: 'Image viewer' }).getByRole('img'));
    await bob.page.keyboard.press('Escape');

    // Bob likes and comments: Ann's badge counts them live, and her open feed shows them.
    await seen.getByRole('button', { name: 'Like' }).click();
    await seen.getByRole('button', { name: 'Like', pressed: true }).waitFor();
    await discover(ann).getByText('1').waitFor();
    await seen.getByRole('button', { name: 'Comment' }).click();
    await seen.getByRole('textbox', { name: 'Comment' }).fill('Beautiful! Which lake?');
    await seen.getByRole('button', { name: 'Send' }).click();
    await seen.getByRole('list', { name: 'Comments' }).getByText('Beautiful! Which lake?').waitFor();
    await discover(ann).getByText('2').waitFor();
    await mine.getByText('Liked by').waitFor({ state: 'attached' });
    await mine.getByRole('list', { name: 'Comments' }).getByText('Beautiful! Which lake?').waitFor();

    // Cat (reminded, and Bob's friend) sees Bob's like and comment, and replies to him.
    await discover(cat).getByText('1').waitFor(); // the reminder
    await discover(cat).click();
    const hers = post(cat, 'Weekend at the lake');
    await hers.getByRole('list', { name: 'Comments' }).getByText('Beautiful! Which lake?').waitFor();
    await hers.getByRole('button', { name: 'Reply to Bob' }).click();
    await hers.getByRole('textbox', { name: 'Reply to Bob' }).fill('West Lake, of course');
    await hers.getByRole('button', { name: 'Send' }).click();
    await hers.getByText('West Lake, of course').waitFor();

    // Bob's badge shows the reply live; his notices say who replied and what.
    await discover(bob).getByText('1').waitFor();
    await bob.page.getByRole('link', { name: 'Notices', exact: true }).click();
    const bobNotices = bob.page.getByRole('list', { name: 'Notices' });
    await bobNotices.getByRole('link', { name: 'Cat replied to you: West Lake, of course' }).waitFor();
    await expect.poll(() => discover(bob).getByText('1').count()).toBe(0); // read

    // Ann's feed shows "Cat replied to Bob"; her notices have the like and both comments.
    const annComments = mine.getByRole('list', { name: 'Comments' });
    await annComments.getByText('West Lake, of course').waitFor();
    expect(await annComments.getByRole('listitem').last().innerText()).toMatch(
      /^Cat replied to Bob: West Lake/,
    );
    await discover(ann).getByText('3').waitFor();
    await ann.page.getByRole('link', { name: 'Notices', exact: true }).click();
    const annNotices = ann.page.getByRole('list', { name: 'Notices' });
    await annNotices.getByRole('link', { name: 'Cat commented: West Lake, of course' }).waitFor();
    await annNotices.getByRole('link', { name: 'Bob commented: Beautiful! Which lake?' }).waitFor();
    await annNotices.getByRole('link', { name: 'Bob liked your moment' }).waitFor();
    // A notice opens its post.
    await annNotices.getByRole('link', { name: 'Bob liked your moment' }).click();
    await ann.page.getByRole('region', { name: 'Moment' }).getByRole('article').waitFor();

    // Dan, Ann's friend but not in the audience: no dot, nothing in his feed or on her album.
    expect(await discover(dan).getByRole('img').count()).toBe(0);
    await discover(dan).click();
    await dan.page.getByText('No moments yet.', { exact: false }).waitFor();
    expect(await feed(dan).getByRole('article').count()).toBe(0);
    await dan.page.getByRole('link', { name: 'Contacts' }).click();
    await dan.page.getByRole('region', { name: 'Friends' }).getByRole('link', { name: 'Ann Lee' }).click();
    await dan.page.getByRole('link', { name: 'Moments', exact: true }).click();
    await dan.page
      .getByRole('region', { name: 'Moments of Ann Lee' })
      .getByText('Nothing to see here yet.')
      .waitFor();
    expect(await dan.page.getByRole('list', { name: 'Posts' }).count()).toBe(0);

    // Cat deletes her reply; Ann deletes the post, and it is gone from Bob's feed.
    await hers.getByRole('listitem').filter({ hasText: 'West Lake' }).hover();
    await hers.getByRole('button', { name: 'Delete comment' }).click();
    await expect.poll(() => hers.getByText('West Lake, of course').count()).toBe(0);
    await discover(ann).click();
    await ann.page.getByRole('link', { name: 'Moments', exact: true }).click();
    await mine.getByRole('button', { name: 'Delete', exact: true }).click();
    await ann.page.getByRole('alertdialog').getByRole('button', { name: 'Delete' }).click();
    await expect.poll(() => feed(ann).getByRole('article').count()).toBe(0);
    await bob.page.reload();
    await bob.page.getByRole('link', { name: 'Moments', exact: true }).click();
    await bob.page.getByText('No moments yet.', { exact: false }).waitFor();

    for (const p of [ann, bob, cat, dan]) await p.context.close();
  });

  it('privacy from the album pages: "don’t show me theirs", "don’t let them see mine", and a stranger’s ten', async () => {
    const [ann, bob, eve] = await Promise.all([
      signUp(setup.browser, setup.server, 'Ann Lee'),
      signUp(setup.browser, setup.server, 'Bob'),
      signUp(setup.browser, setup.server, 'Eve'),
    ]);
    await befriend(bob, ann);
    await discover(ann).click();
    const annId = (await ann.page.getByRole('link', { name: 'My album' }).getAttribute('href'))!
      .split('/')
      .pop()!;
    await ann.page.getByRole('link', { name: 'New moment' }).click();
    await ann.page.getByRole('textbox', { name: 'Text of the moment' }).fill('Hello friends and neighbours');
    await ann.page.getByRole('button', { name: 'Post', exact: true }).click();
    await post(ann, 'Hello friends').waitFor();

    // Bob mutes Ann from her album page: gone from his feed, still on her album.
    await discover(bob).click();
    await post(bob, 'Hello friends').getByRole('link', { name: 'Ann Lee' }).click();
    const album = bob.page.getByRole('region', { name: 'Moments of Ann Lee' });
    await album.getByRole('list', { name: 'Posts' }).getByText('Hello friends').waitFor();
    await album.getByRole('checkbox', { name: 'Hide the moments of Ann Lee from my feed' }).check();
    await album.getByRole('status').getByText('Saved.').waitFor();
    await bob.page.getByRole('link', { name: 'Moments', exact: true }).click();
    await bob.page.getByText('No moments yet.', { exact: false }).waitFor();

    // Ann hides her moments from Bob, from his page in Contacts: his view of her album empties.
    await ann.page.getByRole('link', { name: 'Contacts' }).click();
    await ann.page.getByRole('region', { name: 'Friends' }).getByRole('link', { name: 'Bob' }).click();
    await ann.page.getByRole('link', { name: 'Moments', exact: true }).click();
    await ann.page.getByRole('checkbox', { name: 'Don’t let Bob see my moments' }).check();
    await ann.page.getByRole('status').getByText('Saved.').waitFor();
    await bob.page.goto(`/discover/album/${annId}`);
    await album.getByText('Nothing to see here yet.').waitFor();

    // Eve, a stranger, sees Ann's newest posts shared with all friends, read only.
    await eve.page.goto(`/discover/album/${annId}`);
    const seen = eve.page.getByRole('region', { name: 'Moments of Ann Lee' });
    await seen.getByText('You are not friends: you see at most 10 of their moments.').waitFor();
    await seen
      .getByRole('list', { name: 'Posts' })
      .getByRole('link', { name: /Hello friends/ })
      .click();
    const one = eve.page.getByRole('region', { name: 'Moment' }).getByRole('article');
    await one.getByText('Hello friends and neighbours').waitFor();
    expect(await one.getByRole('button', { name: 'Like' }).count()).toBe(0);
    expect(await one.getByRole('button', { name: 'Comment' }).count()).toBe(0);
    for (const p of [ann, bob, eve]) await p.context.close();
  });
});
