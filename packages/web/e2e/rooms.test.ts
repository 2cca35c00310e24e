import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { befriend, messageLog, openChat, signUp, withBrowser, type Person } from './helpers.js';

const SHOTS = fileURLToPath(new URL('../../../docs/screenshots', import.meta.url));

/** A mono 16-bit WAV of a 440 Hz tone, `seconds` long (8 kHz: small). */
function toneWav(seconds: number): Buffer {
  const rate = 8000;
  const n = rate * seconds;
  const b = Buffer.alloc(44 + n * 2);
  b.write('RIFF', 0);
  b.writeUInt32LE(36 + n * 2, 4);
  b.write('WAVEfmt ', 8);
  b.writeUInt32LE(16, 16);
  b.writeUInt16LE(1, 20);
  b.writeUInt16LE(1, 22);
  b.writeUInt32LE(rate, 24);
  b.writeUInt32LE(rate * 2, 28);
  b.writeUInt16LE(2, 32);
  b.writeUInt16LE(16, 34);
  b.write('data', 36);
  b.writeUInt32LE(n * 2, 40);
  for (let i = 0; i < n; i++)
    b.writeInt16LE(Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / rate)), 44 + i * 2);
  return b;
}

/**
 * Listen together in real Chromium: Ann opens a room from her chat with Bob, adds a tone and
 * plays it; Bob joins from the room card. Both <audio> elements play the same place (autoplay
 * allowed by flag), and Bob's pause reaches Ann's page.
 */
describe('web: listen together', { timeout: 240_000 }, () => {
  const setup = withBrowser({ args: ['--autoplay-policy=no-user-gesture-required'] });
  const time = (p: Person) =>
    p.page
      .getByTestId('room-audio')
      .evaluate((a: HTMLAudioElement) => ({ t: a.currentTime, paused: a.paused }));

  const drift = (p: Person) =>
    p.page
      .getByTestId('room-audio')
      .evaluate((a: HTMLAudioElement & { roomDriftMs?: () => number }) => a.roomDriftMs?.() ?? NaN);

  it('two pages play a tone in the same room in step; pause reaches the other page', async () => {
    const [ann, bob] = await Promise.all([
      signUp(setup.browser, setup.server, 'Ann'),
      signUp(setup.browser, setup.server, 'Bob'),
    ]);
    await befriend(ann, bob);
    await openChat(ann, 'Bob');
    await ann.page.getByRole('button', { name: 'Listen together' }).click();
    const room = ann.page.getByRole('region', { name: 'Listen together' }).first();
    await room.getByRole('heading', { name: 'Listen together' }).waitFor();
    await ann.page
      .getByLabel('Add music')
      .setInputFiles({ name: 'Tone.wav', mimeType: 'audio/wav', buffer: toneWav(40) });
    await ann.page.getByRole('button', { name: 'Play Tone' }).waitFor({ timeout: 30_000 });
    await ann.page.getByRole('button', { name: 'Play', exact: true }).click();
    await expect.poll(async () => (await time(ann)).t, { timeout: 15_000 }).toBeGreaterThan(0.5);

    // Bob finds the card in the chat and joins.
    await openChat(bob, 'Ann');
    await messageLog(bob).getByRole('link', { name: 'Join' }).click();
    await bob.page.getByRole('button', { name: 'Join' }).click();
    await expect.poll(async () => (await time(bob)).t, { timeout: 15_000 }).toBeGreaterThan(1);
    await bob.page.waitForTimeout(10_000);
    const diffs: number[] = [];
    for (let i = 0; i < 20; i++) {
      // Each page's position against the server clock, so the two reads need not be simultaneous.
      const [a, b] = await Promise.all([drift(ann), drift(bob)]);
      diffs.push(Math.abs(a - b));
      await bob.page.waitForTimeout(200);
    }
    diffs.sort((x, y) => x - y);
    const p95 = diffs[Math.floor(diffs.length * 0.95) - 1]!;
    console.log(
      `listen together: difference mapped to server time p50 ${diffs[10]!.toFixed(1)} ms, p95 ${p95.toFixed(1)} ms`,
    );
    expect(p95).toBeLessThan(50);

    // Bob pauses: Ann's page stops within 500 ms of the scheduled time (plus the lead).
    await bob.page.getByRole('button', { name: 'Pause' }).click();
    await expect.poll(async () => (await time(ann)).paused, { timeout: 1500, interval: 50 }).toBe(true);
    const [a, b] = await Promise.all([time(ann), time(bob)]);
    expect(Math.abs(a.t - b.t) * 1000).toBeLessThan(80);

    // Members show who is listening; the queue reorders by dragging and by the keyboard.
    const members = ann.page.getByRole('region', { name: /^Members/ });
    await expect.poll(() => members.getByText('not playing').count(), { timeout: 5000 }).toBe(2);
    // Different lengths: identical bytes would be stored once, under the first name.
    for (const [name, seconds] of [
      ['Two', 5],
      ['Three', 6],
    ] as const) {
      await ann.page
        .getByLabel('Add music')
        .setInputFiles({ name: `${name}.wav`, mimeType: 'audio/wav', buffer: toneWav(seconds) });
      await ann.page.getByRole('button', { name: `Play ${name}` }).waitFor({ timeout: 30_000 });
    }
    const order = () =>
      ann.page
        .getByRole('button', { name: /^Play (Tone|Two|Three)$/ })
        .evaluateAll((els) => els.map((e) => e.getAttribute('aria-label')!.slice('Play '.length)));
    const handle = ann.page.getByRole('button', { name: 'Drag Three to reorder' });
    const target = ann.page.getByRole('button', { name: 'Play Tone' });
    const from = (await handle.boundingBox())!;
    const to = (await target.boundingBox())!;
    await ann.page.mouse.move(from.x + from.width / 2, from.y + from.height / 2);
    await ann.page.mouse.down();
    await ann.page.mouse.move(to.x + 10, to.y + to.height / 2, { steps: 5 });
    await ann.page.mouse.up();
    await expect.poll(order, { timeout: 5000 }).toEqual(['Three', 'Tone', 'Two']);
    await ann.page.getByRole('button', { name: 'Move Two up' }).click();
    await expect.poll(order, { timeout: 5000 }).toEqual(['Three', 'Two', 'Tone']);

    // Bob goes back to the chat: the music goes on, with a "now playing" bar to pause or return.
    await bob.page.getByRole('button', { name: 'Play', exact: true }).click();
    // Generous: three Chromium pages can share the two cores of a CI machine.
    await expect.poll(async () => (await time(bob)).paused, { timeout: 10_000, interval: 50 }).toBe(false);
    await expect
      .poll(() => members.getByText('listening', { exact: true }).count(), { timeout: 5000 })
      .toBe(2);
    await bob.page.getByRole('link', { name: 'Open chat' }).click();
    const bar = bob.page.getByRole('region', { name: 'Now playing' });
    await bar.waitFor();
    const t0 = (await time(bob)).t;
    await bob.page.waitForTimeout(1000);
    expect((await time(bob)).t).toBeGreaterThan(t0 + 0.5);
    await bar.getByRole('button', { name: 'Pause' }).click();
    await expect.poll(async () => (await time(ann)).paused, { timeout: 1500, interval: 50 }).toBe(true);
    if (process.env.MYCHAT_SCREENSHOTS)
      for (const [size, viewport] of [
        ['phone', { width: 390, height: 844 }],
        ['desktop', { width: 1200, height: 800 }],
      ] as const)
        for (const scheme of ['light', 'dark'] as const) {
          await bob.page.setViewportSize(viewport);
          await bob.page.emulateMedia({ colorScheme: scheme });
          await bob.page.waitForTimeout(300);
          await bob.page.screenshot({ path: path.join(SHOTS, `room-bar-${size}-${scheme}.png`) });
        }
    await bar.getByRole('link', { name: /^Open the room/ }).click();
    await bob.page.getByRole('region', { name: /^Members/ }).waitFor();

    // `MYCHAT_SCREENSHOTS=1`: the room page and the card, phone and desktop, light and dark.
    if (process.env.MYCHAT_SCREENSHOTS) {
      for (const [size, viewport] of [
        ['phone', { width: 390, height: 844 }],
        ['desktop', { width: 1200, height: 800 }],
      ] as const)
        for (const scheme of ['light', 'dark'] as const) {
          await ann.page.setViewportSize(viewport);
          await ann.page.emulateMedia({ colorScheme: scheme });
          await ann.page.waitForTimeout(300);
          await ann.page.screenshot({ path: path.join(SHOTS, `room-${size}-${scheme}.png`) });
        }
      await bob.page.setViewportSize({ width: 1200, height: 800 });
      await bob.page.emulateMedia({ colorScheme: 'light' });
      await bob.page.getByRole('link', { name: 'Open chat' }).click();
      await messageLog(bob).getByRole('link', { name: 'Join' }).waitFor();
      await bob.page.screenshot({ path: path.join(SHOTS, 'room-card-desktop-light.png') });
    }
  });
});
