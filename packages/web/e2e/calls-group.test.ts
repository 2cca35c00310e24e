import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { docShot } from './calls-helpers.js';
import { befriend, FAKE_MEDIA, signUp, withBrowser } from './helpers.js';

/** How many remote videos (all but the local picture) rendered frames within 1.5 s. */
function playing(page: Page): Promise<number> {
  return page.evaluate(() =>
    Promise.all(
      [...document.querySelectorAll<HTMLVideoElement>('video:not([aria-label="You"])')].map(
        (v) =>
          new Promise<number>((resolve) => {
            let n = 0;
            const count = () => {
              n++;
              v.requestVideoFrameCallback(count);
            };
            v.requestVideoFrameCallback(count);
            setTimeout(() => resolve(n > 2 ? 1 : 0), 1500);
          }),
      ),
    ).then((r) => r.reduce((a, b) => a + b, 0)),
  );
}

/** A group video call of three: every pair connects (a mesh), each page plays both others. */
describe('web: a group call of three', { timeout: 240_000 }, () => {
  const setup = withBrowser({ args: FAKE_MEDIA });

  it('connects all pairs', async () => {
    const ann = await signUp(setup.browser, setup.server, 'Gina');
    const bob = await signUp(setup.browser, setup.server, 'Hugo');
    const cat = await signUp(setup.browser, setup.server, 'Ines');
    await befriend(ann, bob);
    await befriend(ann, cat);
    await ann.page.getByRole('link', { name: /^Contacts/ }).click();
    await ann.page.getByRole('link', { name: 'Create group' }).click();
    await ann.page.getByLabel('Group name').fill('Trio');
    await ann.page.getByRole('checkbox', { name: 'Hugo' }).check();
    await ann.page.getByRole('checkbox', { name: 'Ines' }).check();
    await ann.page.getByRole('button', { name: 'Create group' }).click();
    await ann.page.getByRole('heading', { name: 'Trio' }).waitFor();
    await ann.page.getByRole('button', { name: 'Video call' }).click();
    for (const p of [bob, cat])
      await p.page
        .getByRole('dialog', { name: 'Incoming video call' })
        .getByRole('button', { name: 'Accept' })
        .click();
    const names = { Gina: ann, Hugo: bob, Ines: cat };
    for (const [me, p] of Object.entries(names)) {
      await expect
        .poll(() => playing(p.page), { timeout: 40_000, interval: 1000 })
        .toBe(2)
        .catch(async (e: unknown) => {
          const seen = await p.page.evaluate(() =>
            [...document.querySelectorAll('video')].map(
              (v) => `${v.getAttribute('aria-label')}:${!!v.srcObject}`,
            ),
          );
          throw new Error(`${me} sees ${seen.join(', ')}: ${String(e)}`);
        });
    }
    // Hugo and Ines are not friends: each still sees the other's name (from the user directory).
    const others = (page: Page) =>
      page.evaluate(() =>
        [...document.querySelectorAll('video')]
          .map((v) => v.getAttribute('aria-label'))
          .filter((l) => l !== 'You')
          .sort(),
      );
    await expect.poll(() => others(bob.page)).toEqual(['Gina', 'Ines']);
    await expect.poll(() => others(cat.page)).toEqual(['Gina', 'Hugo']);
    await bob.page.getByRole('dialog', { name: /^Call with (Gina, Ines|Ines, Gina)$/ }).waitFor();
    await docShot(cat.page, 'call-group-desktop');
    await ann.page.getByRole('button', { name: 'Hang up' }).click();
    await bob.page.getByRole('button', { name: 'Hang up' }).click();
    await cat.page.getByRole('dialog', { name: /^Call with/ }).waitFor({ state: 'detached' });
  });
});
