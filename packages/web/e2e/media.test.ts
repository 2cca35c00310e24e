import { describe, expect, it } from 'vitest';
import { befriend, FAKE_MEDIA, messageLog, openChat, signUp, withBrowser, type Person } from './helpers.js';
import { picture } from './pictures.js';

/**
 * Media in real Chromium against a real server: a photo picked from disk and a voice clip
 * recorded with the (fake) microphone travel to a friend, who sees and hears them.
 */
describe('web: media in the browser', { timeout: 120_000 }, () => {
  const setup = withBrowser({
    overrides: { worker: { pollIntervalMs: 50 } },
    args: [...FAKE_MEDIA, '--autoplay-policy=no-user-gesture-required'],
  });
  let ann: Person;
  let bob: Person;

  it('sends a photo and a voice clip; the friend sees the thumbnail and plays the clip', async () => {
    [ann, bob] = await Promise.all([
      signUp(setup.browser, setup.server, 'Ann'),
      signUp(setup.browser, setup.server, 'Bob'),
    ]);
    await befriend(ann, bob);
    // Which API Bob's page asks for download URLs (files seen in a chat name their message);
    // watched on the context, which also sees what the service worker fetches.
    const asked: string[] = [];
    bob.page.context().on('request', (r) => {
      const m = /\.(MessageService\/GetAttachmentUrl|MediaService\/GetDownloadUrl)$/.exec(
        new URL(r.url()).pathname,
      );
      if (m) asked.push(m[1]!);
    });
    await openChat(ann, 'Bob');
    await openChat(bob, 'Ann');

    // Ann picks a photo: it waits in the tray (editable, removable) until she sends it.
    await ann.page.getByLabel('Choose photos or videos').setInputFiles({
      name: 'sunset.png',
      mimeType: 'image/png',
      buffer: await picture('sunset', 420, 560), // portrait: a tall row
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
      .toBe(420);
    await bob.page.keyboard.press('Escape');
    await bob.page.getByRole('dialog', { name: 'Image viewer' }).waitFor({ state: 'detached' });
    expect(asked.length).toBeGreaterThan(0);
    expect(new Set(asked)).toEqual(new Set(['MessageService/GetAttachmentUrl']));

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

    // Bob answers with three photos at once: one message, a grid whose thumbnails all load.
    // Ann, at the bottom of the chat, stays there (no "Jump to latest").
    await bob.page.getByLabel('Choose photos or videos').setInputFiles(
      await Promise.all(
        (['lake', 'hills', 'night'] as const).map(async (s) => ({
          name: `${s}.png`,
          mimeType: 'image/png',
          buffer: await picture(s),
        })),
      ),
    );
    await bob.page.getByRole('button', { name: 'Send (3)' }).click();
    const grid = messageLog(ann).getByRole('group', { name: '3 images' });
    await grid.getByRole('button', { name: 'Open image 3' }).waitFor({ timeout: 30_000 });
    await expect
      .poll(
        () =>
          grid
            .locator('img')
            .evaluateAll((imgs: HTMLImageElement[]) => imgs.filter((i) => i.naturalWidth > 0).length),
        {
          timeout: 30_000,
        },
      )
      .toBe(3);
    await ann.page.waitForTimeout(300);
    expect(await ann.page.getByRole('button', { name: 'Jump to latest' }).count()).toBe(0);
  });

  it('edits a photo before sending, sends a file, cancels an upload, and forwards a photo', async () => {
    const cat = await signUp(setup.browser, setup.server, 'Cat');
    await befriend(cat, bob);
    await openChat(bob, 'Ann');

    // Ann rotates the landscape photo by 90° and crops the middle of it before sending.
    await ann.page.getByLabel('Choose photos or videos').setInputFiles({
      name: 'lake.png',
      mimeType: 'image/png',
      buffer: await picture('lake', 640, 420),
    });
    await ann.page.getByRole('button', { name: 'Edit lake.png' }).click();
    const editor = ann.page.getByRole('dialog', { name: 'Edit image' });
    await editor.getByRole('button', { name: 'Rotate 90°' }).click();
    await editor.getByRole('button', { name: 'Crop' }).click();
    const canvas = editor.getByRole('img', { name: 'Image being edited' });
    await expect
      .poll(() => canvas.evaluate((c: HTMLCanvasElement) => [c.width, c.height]))
      .toEqual([420, 640]);
    const box = (await canvas.boundingBox())!;
    await ann.page.mouse.move(box.x + box.width * 0.25, box.y + box.height * 0.25);
    await ann.page.mouse.down();
    await ann.page.mouse.move(box.x + box.width * 0.5, box.y + box.height * 0.5, { steps: 5 });
    await ann.page.mouse.move(box.x + box.width * 0.75, box.y + box.height * 0.75, { steps: 5 });
    await ann.page.mouse.up();
    await editor.getByRole('button', { name: 'Apply crop' }).click();
    await editor.getByRole('button', { name: 'Done' }).click();
    await editor.waitFor({ state: 'detached' });
    await ann.page.getByRole('button', { name: 'Send (1)' }).click();

    // Bob's full-size view is the edited picture: portrait, half of each side.
    // (Ann's first photo, Bob's grid, and now this one.)
    const newest = messageLog(bob).getByRole('button', { name: 'Open image 1' }).last();
    await expect
      .poll(() => messageLog(bob).getByRole('button', { name: 'Open image 1' }).count(), { timeout: 30_000 })
      .toBe(3);
    await newest.locator('img').waitFor({ timeout: 30_000 });
    await newest.click();
    const full = bob.page.getByRole('dialog', { name: 'Image viewer' }).getByRole('img');
    const size = () =>
      full.evaluate((img: HTMLImageElement) =>
        img.complete ? [img.naturalWidth, img.naturalHeight] : [0, 0],
      );
    await expect.poll(async () => (await size())[0], { timeout: 30_000 }).toBeGreaterThan(0);
    const [w, h] = await size();
    expect(Math.abs(w! - 210)).toBeLessThanOrEqual(6);
    expect(Math.abs(h! - 320)).toBeLessThanOrEqual(6);
    await bob.page.keyboard.press('Escape');

    // A file: Bob gets a card and downloads the same bytes under its name.
    const notes = 'Bring: water, sunscreen, snacks.\n'.repeat(20);
    await ann.page.getByLabel('Choose files').setInputFiles({
      name: 'notes.txt',
      mimeType: 'text/plain',
      buffer: Buffer.from(notes),
    });
    await ann.page.getByRole('button', { name: 'Send (1)' }).click();
    const dl = messageLog(bob).getByRole('button', { name: 'Download notes.txt' });
    await dl.waitFor({ timeout: 30_000 });
    const [download] = await Promise.all([bob.page.waitForEvent('download'), dl.click()]);
    expect(download.suggestedFilename()).toBe('notes.txt');
    const stream = await download.createReadStream();
    const chunks: Buffer[] = [];
    for await (const c of stream) chunks.push(c as Buffer);
    expect(Buffer.concat(chunks).toString()).toBe(notes);
    // Bob keeps Ann's file in his own My files (a copy of his own).
    await messageLog(bob).getByRole('article').filter({ hasText: 'notes.txt' }).click({ button: 'right' });
    await bob.page.getByRole('menuitem', { name: 'Save to My files' }).click();
    await bob.page.getByText('Saved to My files.').waitFor();

    // A large upload over a slow uplink (1 MB/s) shows its progress and can be cancelled.
    const cdp = await ann.context.newCDPSession(ann.page);
    const uplink = (bytesPerSecond: number) =>
      cdp.send('Network.emulateNetworkConditions', {
        offline: false,
        latency: 0,
        downloadThroughput: -1,
        uploadThroughput: bytesPerSecond,
      });
    await uplink(1_000_000);
    await ann.page.getByLabel('Choose files').setInputFiles({
      name: 'big.bin',
      mimeType: 'application/octet-stream',
      buffer: Buffer.alloc(12 * 1024 * 1024, 7),
    });
    await ann.page.getByRole('button', { name: 'Send (1)' }).click();
    await ann.page.getByRole('progressbar', { name: 'Uploading big.bin' }).waitFor();
    await ann.page.getByRole('button', { name: 'Cancel upload of big.bin' }).click();
    await ann.page.getByRole('progressbar', { name: 'Uploading big.bin' }).waitFor({ state: 'detached' });
    await uplink(-1);

    // Bob forwards the edited photo to Cat from the message menu; Cat sees it.
    await messageLog(bob)
      .getByRole('article')
      .filter({ has: bob.page.getByRole('button', { name: 'Open image 1' }) })
      .last()
      .click({ button: 'right' });
    await bob.page.getByRole('menuitem', { name: 'Forward' }).click();
    await bob.page.getByRole('dialog', { name: 'Forward to…' }).getByRole('button', { name: 'Cat' }).click();
    await bob.page.getByRole('alert').filter({ hasText: 'Forwarded' }).waitFor();
    await openChat(cat, 'Bob');
    const fwd = messageLog(cat).getByRole('button', { name: 'Open image 1' }).locator('img');
    await expect
      .poll(() => fwd.evaluate((img: HTMLImageElement) => (img.complete ? img.naturalWidth : 0)), {
        timeout: 30_000,
      })
      .toBeGreaterThan(0);
    // The cancelled upload never became a message.
    expect(await messageLog(bob).getByRole('button', { name: 'Download big.bin' }).count()).toBe(0);
  });
});
