import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { shot, startEncrypted } from './e2ee-helpers.js';
import { FAKE_MEDIA, friendsOnTwoScreens, type Person, withBrowser } from './helpers.js';

/** From a friend's page to the encrypted chat with them, turned on without a backup. */
async function turnOn(p: Person, friend: string) {
  await startEncrypted(p.page, friend);
  await p.page.getByRole('button', { name: 'Turn on without a backup' }).click();
  await p.page.getByRole('textbox', { name: 'Encrypted message' }).waitFor();
}

const log = (p: Person) => p.page.getByRole('log', { name: 'Messages' });
const note = (p: Person, i: number) => log(p).getByText(`Note ${i}`, { exact: true });

/** Every file under a directory: the SQLite database and the blob store. */
const filesUnder = (dir: string) =>
  fs
    .readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile())
    .map((e) => path.join(e.parentPath, e.name));

/**
 * Encrypted chats past the first page, and files and voice from the web: two real Chromium pages
 * (a fake microphone) against a real server.
 */
describe('web: encrypted chats, paging, files and voice', { timeout: 240_000 }, () => {
  const setup = withBrowser({ args: FAKE_MEDIA });

  it('scrolling up opens older pages; a file and a voice clip are sent encrypted and open', async () => {
    const [ann, bob] = await friendsOnTwoScreens(setup);
    await turnOn(bob, 'Ann');
    await turnOn(ann, 'Bob');

    // 60 messages: more than one page of 50.
    const box = ann.page.getByRole('textbox', { name: 'Encrypted message' });
    for (let i = 1; i <= 60; i++) {
      await box.fill(`Note ${i}`);
      await box.press('Enter');
    }
    await expect.poll(() => log(ann).getByRole('article').count(), { timeout: 30_000 }).toBe(60);

    // Bob opens the chat afresh: the newest page, then older ones as he scrolls up.
    await bob.page.reload();
    await note(bob, 60).waitFor({ timeout: 20_000 });
    expect(await log(bob).getByRole('article').count()).toBe(50);
    expect(await note(bob, 5).count()).toBe(0);
    await log(bob).evaluate((el) => el.scrollTo(0, 0));
    await note(bob, 5).waitFor();
    await note(bob, 1).waitFor();
    expect(await log(bob).getByRole('article').count()).toBe(60);
    expect(await log(bob).getByRole('button', { name: 'Earlier messages' }).count()).toBe(0);
    // What was on screen stays there: the page does not jump to the oldest message.
    expect(await log(bob).evaluate((el) => el.scrollTop)).toBeGreaterThan(0);

    // A file: encrypted before upload; what the server stores is not the plaintext.
    const canary = `canary-${Date.now()}-`.repeat(20);
    await ann.page.getByLabel('Send a file').setInputFiles({
      name: 'plan.txt',
      mimeType: 'text/plain',
      buffer: Buffer.from(canary),
    });
    await log(bob).getByRole('button', { name: 'Download plan.txt' }).click({ timeout: 20_000 });
    const save = log(bob).getByRole('link', { name: 'Save plan.txt' });
    await save.waitFor();
    const [download] = await Promise.all([bob.page.waitForEvent('download'), save.click()]);
    expect(download.suggestedFilename()).toBe('plan.txt');
    expect(fs.readFileSync(await download.path(), 'utf8')).toBe(canary);
    const needle = Buffer.from(canary.slice(0, 40));
    for (const f of filesUnder(setup.server.dataDir))
      expect(fs.readFileSync(f).includes(needle), f).toBe(false);

    // A voice clip from the (fake) microphone: Bob's side decrypts it into a player.
    await ann.page.getByRole('button', { name: 'Record a voice message' }).click();
    const timer = ann.page.getByRole('timer', { name: 'Recorded time' });
    await expect.poll(() => timer.textContent(), { timeout: 20_000 }).toMatch(/^0:0[2-9]$/);
    await ann.page.getByRole('button', { name: 'Send voice' }).click();
    const voice = log(bob).getByLabel('Voice message');
    await voice.waitFor({ timeout: 20_000 });
    // It decodes as audio: what was decrypted is the recording (ciphertext would not play).
    await expect
      .poll(() => voice.evaluate((a: HTMLAudioElement) => (a.error ? -1 : a.readyState)), { timeout: 20_000 })
      .toBeGreaterThanOrEqual(1);
    expect(await voice.getAttribute('src')).toMatch(/^blob:/);
    await shot(bob.page, 'e2ee-files-phone-dark');
    await shot(ann.page, 'e2ee-files-desktop-light');
  });
});
