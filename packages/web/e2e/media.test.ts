import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestServer } from '../../server/src/test/test-server.js';
import {
  befriend,
  FAKE_MEDIA,
  launch,
  messageLog,
  openChat,
  signUp,
  startWebServer,
  type Person,
} from './helpers.js';
import { picture } from './pictures.js';

/**
 * Media in real Chromium against a real server: a photo picked from disk and a voice clip
 * recorded with the (fake) microphone travel to a friend, who sees and hears them.
 */
describe('web: media in the browser', { timeout: 120_000 }, () => {
  let server: TestServer;
  let browser: Browser;
  let ann: Person;
  let bob: Person;

  beforeAll(async () => {
    server = await startWebServer({ worker: { pollIntervalMs: 50 } });
    browser = await launch([...FAKE_MEDIA, '--autoplay-policy=no-user-gesture-required']);
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('sends a photo and a voice clip; the friend sees the thumbnail and plays the clip', async () => {
    [ann, bob] = await Promise.all([signUp(browser, server, 'Ann'), signUp(browser, server, 'Bob')]);
    await befriend(ann, bob);
    await openChat(ann, 'Bob');
    await openChat(bob, 'Ann');

    // Ann picks a photo: it waits in the tray (editable, removable) until she sends it.
    await ann.page.getByLabel('Choose photos or videos').setInputFiles({
      name: 'sunset.png',
      mimeType: 'image/png',
      buffer: await picture('sunset'),
    });
    await ann.page.getByRole('list', { name: 'Ready to send' }).getByText('sunset.png').waitFor();
    await ann.page.getByRole('button', { name: 'Send (1)' }).click();

    // Bob sees it: the thumbnail really loaded (decoded pixels), and opens the full size.
    const thumb = messageLog(bob).getByRole('button', { name: 'Open image 1' }).locator('img');
    await expect
      .poll(() => thumb.evaluate((img: HTMLImageElement) => (img.complete ? img.naturalWidth : 0)), {
        timeout: 30_000,
      })
      .toBeGreaterThan(0);
    await messageLog(bob).getByRole('button', { name: 'Open image 1' }).click();
    const full = bob.page.getByRole('dialog', { name: 'Image viewer' }).getByRole('img');
    await expect
      .poll(() => full.evaluate((img: HTMLImageElement) => (img.complete ? img.naturalWidth : 0)), {
        timeout: 30_000,
      })
      .toBe(640);
    await bob.page.keyboard.press('Escape');
    await bob.page.getByRole('dialog', { name: 'Image viewer' }).waitFor({ state: 'detached' });

    // Ann records about two seconds of voice and sends it.
    await ann.page.getByRole('button', { name: 'Record a voice message' }).click();
    const timer = ann.page.getByRole('timer', { name: 'Recorded time' });
    await expect.poll(() => timer.textContent(), { timeout: 20_000 }).toMatch(/^0:0[2-9]$/);
    await ann.page.getByRole('button', { name: 'Send voice' }).click();

    // Bob plays it: the audio element's clock moves.
    const play = messageLog(bob).getByRole('button', { name: 'Play voice message' });
    await play.waitFor({ timeout: 30_000 });
    await play.click();
    const audio = messageLog(bob).locator('audio');
    await expect
      .poll(() => audio.evaluate((a: HTMLAudioElement) => a.currentTime), { timeout: 30_000 })
      .toBeGreaterThan(0);
    // The button now offers to pause.
    await messageLog(bob).getByRole('button', { name: 'Pause voice message' }).waitFor();
  });
});
