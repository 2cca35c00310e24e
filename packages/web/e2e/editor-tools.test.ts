import { fileURLToPath } from 'node:url';
import type { Locator, Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { befriend, messageLog, openChat, signUp, withBrowser } from './helpers.js';
import { patternVideo } from './media-fixtures.js';
import { picture } from './pictures.js';

/**
 * Issue 24 items 10 and 11 in the browser: trimming a video before sending it (the server cuts
 * it), the image editor's text and mosaic tools (the exported picture changed where they were
 * used and nowhere else), the "You are now friends" line opening a new chat, and the contact card.
 */
describe('web: video trim, image tools, the friends line and the contact card', { timeout: 180_000 }, () => {
  const setup = withBrowser({ overrides: { worker: { pollIntervalMs: 50 } } });

  it('trims a picked video with keyboard sliders and sends only that part', async () => {
    const { page } = await signUp(setup.browser, setup.server, 'Tia');
    await page.goto('/file-transfer');
    await page.waitForURL(/\/chat\//);
    await page.getByLabel('Choose photos or videos').setInputFiles({
      name: 'clip.mp4',
      mimeType: 'video/mp4',
      buffer: patternVideo(4),
    });
    // Picking a video opens the trim screen with the focus in it.
    const trim = page.getByRole('dialog', { name: 'Trim video' });
    await trim.waitFor();
    await expect.poll(() => trim.evaluate((d) => d.contains(document.activeElement))).toBe(true);
    const start = trim.getByRole('slider', { name: 'Start' });
    const end = trim.getByRole('slider', { name: 'End' });
    await expect.poll(() => end.getAttribute('aria-valuetext')).toBe('0:04.0');
    await trim.getByRole('button', { name: 'Play the chosen part' }).waitFor();
    await trim.getByRole('img', { name: 'Frames of the video' }).waitFor();

    await start.focus();
    for (let i = 0; i < 10; i++) await page.keyboard.press('ArrowRight');
    await end.focus();
    for (let i = 0; i < 10; i++) await page.keyboard.press('ArrowLeft');
    expect(await start.getAttribute('aria-valuetext')).toBe('0:01.0');
    expect(await end.getAttribute('aria-valuetext')).toBe('0:03.0');
    await trim.getByRole('status').getByText('From 0:01.0 to 0:03.0 (0:02.0)').waitFor();
    await shoot(page, 'trim-video');
    // The end cannot pass the start: pushed, the start moves back to keep 0.2 s.
    await end.press('Home');
    expect(await end.getAttribute('aria-valuetext')).toBe('0:00.2');
    expect(await start.getAttribute('aria-valuetext')).toBe('0:00.0');
    await end.press('End');
    await start.focus();
    for (let i = 0; i < 10; i++) await page.keyboard.press('ArrowRight');
    for (let i = 0; i < 10; i++) await end.press('ArrowLeft');
    await trim.getByRole('button', { name: 'Use this part' }).click();
    await trim.waitFor({ state: 'detached' });

    const picked = page.getByRole('list', { name: 'Ready to send' });
    await picked.getByText('Trimmed: 0:01.0–0:03.0').waitFor();
    // Trimming again starts from the chosen part; Escape keeps it as it was.
    await picked.getByRole('button', { name: 'Edit clip.mp4' }).click();
    await trim.waitFor();
    await expect
      .poll(() => trim.getByRole('slider', { name: 'Start' }).getAttribute('aria-valuetext'))
      .toBe('0:01.0');
    await page.keyboard.press('Escape');
    await trim.waitFor({ state: 'detached' });

    await page.getByRole('button', { name: 'Send (1)' }).click();
    // The message carries the cut file: two seconds, not four.
    await page
      .getByRole('log', { name: 'Messages' })
      .getByText('0:02', { exact: true })
      .waitFor({ timeout: 30_000 });
  });

  it('adds text and mosaic to a picture: the export changes there and nowhere else', async () => {
    const { page } = await signUp(setup.browser, setup.server, 'Ian');
    await page.goto('/file-transfer');
    await page.waitForURL(/\/chat\//);
    const original = await picture('lake', 640, 420);
    await page.getByLabel('Choose photos or videos').setInputFiles({
      name: 'lake.png',
      mimeType: 'image/png',
      buffer: original,
    });
    await page.getByRole('button', { name: 'Edit lake.png' }).click();
    const editor = page.getByRole('dialog', { name: 'Edit image' });
    const tools = editor.getByRole('toolbar', { name: 'Image tools' });
    const canvas = editor.getByRole('img', { name: 'Image being edited' });
    await canvas.waitFor();

    // Mosaic: drag over the sun's edge.
    const mosaic = tools.getByRole('button', { name: 'Mosaic' });
    await mosaic.click();
    expect(await mosaic.getAttribute('aria-pressed')).toBe('true');
    await drag(page, await box(canvas), [0.5, 0.35], [0.75, 0.65]);

    // Text: type it, pick blue, drag it to the lower left, add it.
    await tools.getByRole('button', { name: 'Text', exact: true }).click();
    await editor.getByRole('textbox', { name: 'Text to add' }).fill('HELLO');
    await tools.getByRole('button', { name: 'Text colour #1e88e5' }).click();
    await drag(page, await box(canvas), [0.5, 0.5], [0.25, 0.85]);
    // The arrow keys move it too (one step right, one back).
    await canvas.press('ArrowRight');
    await canvas.press('ArrowLeft');
    await editor.getByRole('button', { name: 'Add text' }).click();
    await shoot(page, 'image-tools');
    await editor.getByRole('button', { name: 'Done' }).click();
    await editor.waitFor({ state: 'detached' });

    const thumb = page.getByRole('list', { name: 'Ready to send' }).locator('img').first();
    const src = await thumb.getAttribute('src');
    const diff = await page.evaluate(
      async ({ src, before }) => {
        const pixels = async (url: string) => {
          const img = new Image();
          img.src = url;
          await img.decode();
          const c = document.createElement('canvas');
          c.width = img.naturalWidth;
          c.height = img.naturalHeight;
          const ctx = c.getContext('2d')!;
          ctx.drawImage(img, 0, 0);
          return ctx;
        };
        const [a, b] = await Promise.all([pixels(`data:image/png;base64,${before}`), pixels(src!)]);
        const { width: w, height: h } = a.canvas;
        /** Mean absolute difference per channel over a box given in fractions of the picture. */
        const mean = (x0: number, y0: number, x1: number, y1: number) => {
          const r = [
            Math.round(x0 * w),
            Math.round(y0 * h),
            Math.round((x1 - x0) * w),
            Math.round((y1 - y0) * h),
          ];
          const [p, q] = [
            a.getImageData(r[0]!, r[1]!, r[2]!, r[3]!).data,
            b.getImageData(r[0]!, r[1]!, r[2]!, r[3]!).data,
          ];
          let sum = 0;
          for (let i = 0; i < p.length; i++) sum += Math.abs(p[i]! - q[i]!);
          return sum / p.length;
        };
        return {
          size: [b.canvas.width, b.canvas.height, w, h],
          mosaic: mean(0.52, 0.37, 0.73, 0.63),
          text: mean(0.2, 0.82, 0.3, 0.88),
          untouched: mean(0, 0, 0.2, 0.2),
        };
      },
      { src, before: original.toString('base64') },
    );
    expect(diff.size).toEqual([640, 420, 640, 420]);
    expect(diff.mosaic).toBeGreaterThan(2);
    expect(diff.text).toBeGreaterThan(10);
    expect(diff.untouched).toBeLessThan(0.5);
  });

  it('opens a new chat with "You are now friends", and the contact card shows what WeChat shows', async () => {
    const [ada, bo] = await Promise.all([
      signUp(setup.browser, setup.server, 'Ada'),
      signUp(setup.browser, setup.server, 'Bo'),
    ]);
    await befriend(ada, bo);
    // A group of the two, for "groups in common".
    await ada.page.getByRole('link', { name: 'Create group' }).click();
    await ada.page.getByLabel('Group name').fill('Climbing');
    await ada.page.getByRole('checkbox', { name: 'Bo' }).check();
    await ada.page.getByRole('button', { name: 'Create group' }).click();
    await ada.page.waitForURL(/\/chat\//);

    await openChat(ada, 'Bo');
    await messageLog(ada).getByText('You are now friends. Say hi!').waitFor();
    await shoot(ada.page, 'friends-line');
    // Bo sees the same line, in Chinese when that is his language.
    await bo.page.evaluate(() => localStorage.setItem('mychat.locale', 'zh-CN'));
    await bo.page.goto('/');
    await bo.page.getByRole('list', { name: '聊天列表' }).getByRole('link', { name: /^Ada/ }).click();
    await bo.page.getByRole('log', { name: '消息记录' }).getByText('你们已成为好友，打个招呼吧！').waitFor();
    await shoot(bo.page, 'friends-line-zh');
    await bo.page.getByRole('textbox', { name: '消息' }).fill('hi Ada');
    await bo.page.getByRole('textbox', { name: '消息' }).press('Enter');

    // From Bo's avatar beside his message to his card.
    await messageLog(ada).getByText('hi Ada').waitFor();
    await messageLog(ada).getByRole('link', { name: 'Bo', exact: true }).click();
    await ada.page.waitForURL(/\/contacts\/user\//);
    const card = ada.page.getByRole('region', { name: 'Bo', exact: true });
    await card.getByText('MyChat ID').waitFor();
    const groups = card.getByRole('region', { name: 'Groups in common' });
    await groups.getByRole('link', { name: /Climbing/ }).waitFor();
    const chat = card.getByRole('region', { name: 'Our chat' });
    await chat.getByRole('button', { name: 'Voice call' }).waitFor();
    await chat.getByRole('button', { name: 'Video call' }).waitFor();
    await chat.getByRole('region', { name: 'Media and files' }).waitFor();
    await chat.getByRole('button', { name: 'Clear chat history' }).waitFor();
    for (const name of ['Block', 'Remove friend'])
      await card.getByRole('button', { name, exact: true }).waitFor();
    await card.getByRole('link', { name: 'Send message' }).waitFor();
    await card.getByRole('textbox', { name: 'Remark' }).waitFor();
    await shoot(ada.page, 'contact-card');

    // Mute and pin act on our chat, and stay after a reload.
    const mute = chat.getByRole('checkbox', { name: 'Mute notifications' });
    const pin = chat.getByRole('checkbox', { name: 'Pin chat' });
    await mute.check();
    await pin.check();
    await expect.poll(() => mute.isChecked()).toBe(true);
    await ada.page.reload();
    await expect.poll(() => mute.isChecked()).toBe(true);
    await expect.poll(() => pin.isChecked()).toBe(true);
    await card.getByRole('link', { name: 'Send message' }).click();
    await messageLog(ada).getByText('hi Ada').waitFor();
  });
});

const DESKTOP = { width: 1200, height: 800 };
const PHONE = { width: 390, height: 844 };
/** With MYCHAT_SCREENSHOTS: docs/screenshots/{name}-{desktop|phone}-{light|dark}.png, then back as it was. */
async function shoot(page: Page, name: string) {
  if (!process.env.MYCHAT_SCREENSHOTS) return;
  for (const scheme of ['light', 'dark'] as const)
    for (const [size, vp] of [
      ['desktop', DESKTOP],
      ['phone', PHONE],
    ] as const) {
      await page.emulateMedia({ colorScheme: scheme });
      await page.setViewportSize(vp);
      await page.waitForTimeout(300);
      const file = `../../../docs/screenshots/${name}-${size}-${scheme}.png`;
      await page.screenshot({ path: fileURLToPath(new URL(file, import.meta.url)) });
    }
  await page.emulateMedia({ colorScheme: 'light' });
  await page.setViewportSize(DESKTOP);
  await page.waitForTimeout(300);
}

async function box(l: Locator) {
  const b = await l.boundingBox();
  if (!b) throw new Error('not on screen');
  return b;
}

/** A mouse drag between two points given in fractions of a box. */
async function drag(
  page: Page,
  b: { x: number; y: number; width: number; height: number },
  from: [number, number],
  to: [number, number],
) {
  await page.mouse.move(b.x + from[0] * b.width, b.y + from[1] * b.height);
  await page.mouse.down();
  await page.mouse.move(b.x + to[0] * b.width, b.y + to[1] * b.height, { steps: 8 });
  await page.mouse.up();
}
