import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import QRCode from 'qrcode';
import { afterAll, describe, it } from 'vitest';
import { encryptedPair, shot } from './e2ee-helpers.js';
import { FAKE_MEDIA, friendsOnTwoScreens, signUp, withBrowser } from './helpers.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mychat-camera-'));
/** What Chromium's fake camera shows: it opens this file each time a page starts the camera. */
const camera = path.join(dir, 'camera.y4m');

/** Makes the fake camera show a still picture (a PNG) on white, as a short Y4M video. */
function showOnCamera(png: Buffer): void {
  const input = path.join(dir, 'still.png');
  const next = path.join(dir, 'next.y4m');
  fs.writeFileSync(input, png);
  execFileSync('ffmpeg', [
    ...['-y', '-loglevel', 'error', '-loop', '1', '-i', input],
    ...['-vf', 'scale=300:300:flags=neighbor,pad=640:480:170:90:white,format=yuv420p'],
    ...['-t', '1', '-r', '10', next],
  ]);
  fs.renameSync(next, camera); // whole, never half-written, when the camera opens it
}

const qrPng = (text: string) => QRCode.toBuffer(text, { errorCorrectionLevel: 'M', margin: 4, width: 300 });

/**
 * The safety number scanned with the camera (docs/security.md section 4): Chromium's fake
 * camera plays a QR code made in the test. A code that is not a safety number and a safety
 * code with other digits are refused; the peer's own code marks them verified.
 */
describe('web: scanning QR codes with the camera', { timeout: 180_000 }, () => {
  const setup = withBrowser({ args: [...FAKE_MEDIA, `--use-file-for-fake-video-capture=${camera}`] });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('refuses a foreign code and a wrong number, and verifies with the peer’s code', async () => {
    const [ann, bob] = await friendsOnTwoScreens(setup);
    await encryptedPair(ann, bob);

    // Ann shows her code; the test takes the picture her screen shows.
    await ann.page.getByRole('button', { name: 'Safety number' }).first().click();
    const annQr = ann.page.getByRole('dialog', { name: 'Safety number' }).getByRole('img', {
      name: 'QR code of the safety number',
    });
    const src = (await annQr.getAttribute('src'))!;
    const annCode = Buffer.from(src.slice(src.indexOf(',') + 1), 'base64');

    await bob.page.getByRole('button', { name: 'Safety number' }).first().click();
    const dialog = bob.page.getByRole('dialog', { name: 'Safety number' });

    // Not a safety number at all: said, and nothing is marked.
    showOnCamera(await qrPng('https://example.com/not-a-safety-number'));
    await dialog.getByRole('button', { name: 'Scan their code' }).click();
    await dialog
      .getByRole('alert')
      .getByText('That QR code is not a safety number.')
      .waitFor({ timeout: 20_000 });
    await dialog.getByLabel('Camera').waitFor();
    await shot(bob.page, 'e2ee-scan-phone-dark');
    await dialog.getByRole('button', { name: 'Stop scanning' }).click();

    // A safety code with other digits: the mismatch warning, still not verified.
    showOnCamera(await qrPng(`mychat-sn:1:${'0'.repeat(60)}:1:2`));
    await dialog.getByRole('button', { name: 'Scan their code' }).click();
    await dialog.getByRole('alert').getByText('That code does not match').waitFor({ timeout: 20_000 });
    await bob.page.getByText(/End-to-end encrypted · Not verified/).waitFor();

    // Ann's own code: verified, the dialog closes and the camera is let go.
    showOnCamera(annCode);
    await dialog.getByRole('button', { name: 'Scan their code' }).click();
    await dialog.waitFor({ state: 'detached', timeout: 20_000 });
    await bob.page.getByText(/End-to-end encrypted · Verified/).waitFor();

    // Ann, in Chinese on a desktop, scans the same code (both sides show one code) after a
    // foreign one.
    await ann.page.evaluate(() => localStorage.setItem('mychat.locale', 'zh-CN'));
    await ann.page.reload();
    await ann.page.getByRole('button', { name: '安全码' }).first().click();
    const zh = ann.page.getByRole('dialog', { name: '安全码' });
    showOnCamera(await qrPng('hello'));
    await zh.getByRole('button', { name: '扫描对方的二维码' }).click();
    await zh.getByRole('alert').getByText('这个二维码不是安全码。').waitFor({ timeout: 20_000 });
    await zh.getByLabel('摄像头').waitFor();
    await shot(ann.page, 'e2ee-scan-desktop-light-zh');
    await zh.getByRole('button', { name: '停止扫描' }).click();
    showOnCamera(annCode);
    await zh.getByRole('button', { name: '扫描对方的二维码' }).click();
    await zh.waitFor({ state: 'detached', timeout: 20_000 });
    await ann.page.getByText(/端到端加密 · 已验证/).waitFor();
  });

  it('Scan on the Me page reads a friend’s QR code and opens their add-friend page', async () => {
    const [dan, eve] = await Promise.all([
      signUp(setup.browser, setup.server, 'Dan'),
      signUp(setup.browser, setup.server, 'Eve'),
    ]);
    await dan.page.getByRole('link', { name: 'Me' }).click();
    await dan.page.getByRole('button', { name: 'My QR code' }).click();
    const link = await dan.page.getByRole('dialog', { name: 'Dan' }).getByLabel('Link').inputValue();

    await eve.page.getByRole('link', { name: 'Me' }).click();
    // A code for another site is refused while the camera keeps looking.
    showOnCamera(await qrPng('https://evil.example.com/add/1'));
    await eve.page.getByRole('button', { name: 'Scan' }).click();
    const scan = eve.page.getByRole('dialog', { name: 'Scan a QR code' });
    await scan.getByRole('alert').getByText('This is not a MyChat link.').waitFor({ timeout: 20_000 });
    await scan.getByRole('button', { name: 'Close' }).click();
    showOnCamera(await qrPng(link));
    await eve.page.getByRole('button', { name: 'Scan' }).click();
    await eve.page.getByRole('region', { name: 'Add friend' }).getByRole('heading', { name: 'Dan' }).waitFor({
      timeout: 20_000,
    });
  });
});
