import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { newPage, signUp, withBrowser, WEB_DIST } from './helpers.js';
import { picture } from './pictures.js';
import { whiteVideo } from './media-fixtures.js';

/** WCAG contrast of white text (the label's colour) on the label's background laid over white. */
function contrastOverWhite(color: string, background: string): number {
  const num = (s: string) => (s.match(/[\d.]+/g) ?? []).map(Number);
  const [r, g, b, a = 1] = num(background);
  const over = [r!, g!, b!].map((c) => c * a + 255 * (1 - a));
  const [tr, tg, tb] = num(color);
  const lum = (rgb: number[]) => {
    const [R, G, B] = rgb.map((c) => {
      const s = c / 255;
      return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * R! + 0.7152 * G! + 0.0722 * B!;
  };
  const [hi, lo] = [lum([tr!, tg!, tb!]), lum(over)].sort((x, y) => y - x);
  return (hi! + 0.05) / (lo! + 0.05);
}

describe('web: first-hour details', { timeout: 180_000 }, () => {
  const setup = withBrowser({ overrides: { worker: { pollIntervalMs: 50 } } });

  it('the /dev/scroll developer page is not in the production build', async () => {
    const { page } = await newPage(setup.browser, setup.server);
    await page.goto('/dev/scroll?n=20');
    await page.waitForURL((u) => u.pathname === '/login');
    expect(await page.getByRole('log', { name: 'Messages' }).count()).toBe(0);
    const assets = path.join(WEB_DIST, 'assets');
    const shipped = fs.readdirSync(assets).filter((f) => f.endsWith('.js'));
    for (const f of shipped)
      expect(fs.readFileSync(path.join(assets, f), 'utf8')).not.toContain('benchReady');
    await page.context().close();
  });

  it('the message box placeholder is whole on phones, in English and Chinese', async () => {
    for (const locale of ['en-US', 'zh-CN'])
      for (const width of [360, 390]) {
        const { page, context } = await signUp(setup.browser, setup.server, 'Gus', {
          viewport: { width, height: 800 },
        });
        if (locale === 'zh-CN') {
          await page.evaluate(() => localStorage.setItem('mychat.locale', 'zh-CN'));
        }
        await page.goto('/file-transfer');
        await page.waitForURL(/\/chat\//);
        const box = page.getByRole('textbox', { name: locale === 'zh-CN' ? '消息' : 'Message' });
        await box.waitFor();
        const fit = await box.evaluate((el: HTMLTextAreaElement) => {
          const cs = getComputedStyle(el);
          const ctx = document.createElement('canvas').getContext('2d')!;
          ctx.font = `${cs.fontStyle} ${cs.fontWeight} ${cs.fontSize} ${cs.fontFamily}`;
          const room = el.clientWidth - parseFloat(cs.paddingLeft) - parseFloat(cs.paddingRight);
          return { text: el.placeholder, width: ctx.measureText(el.placeholder).width, room };
        });
        expect(fit.text, `${locale} at ${width}px`).not.toBe('');
        expect(fit.width, `${locale} at ${width}px: “${fit.text}”`).toBeLessThanOrEqual(fit.room);
        await context.close();
      }
  });

  it('a video’s duration is readable on a light thumbnail', async () => {
    const { page } = await signUp(setup.browser, setup.server, 'Hal');
    await page.goto('/file-transfer');
    await page.waitForURL(/\/chat\//);
    await page.getByLabel('Choose photos or videos').setInputFiles({
      name: 'snow.mp4',
      mimeType: 'video/mp4',
      buffer: whiteVideo(),
    });
    // A chosen video opens the trim screen first; all of it is kept.
    await page
      .getByRole('dialog', { name: 'Trim video' })
      .getByRole('button', { name: 'Use this part' })
      .click();
    await page.getByRole('button', { name: 'Send (1)' }).click();
    const poster = page.getByRole('button', { name: 'Play video' });
    await poster.waitFor({ timeout: 30_000 });
    const label = poster.getByText('0:02');
    const style = await label.evaluate((el) => {
      const cs = getComputedStyle(el);
      return { color: cs.color, background: cs.backgroundColor, opacity: Number(cs.opacity) };
    });
    expect(style.opacity).toBe(1);
    expect(contrastOverWhite(style.color, style.background)).toBeGreaterThanOrEqual(4.5);
  });

  it('My files says how much of the storage used is files sent in chats, which it does not list', async () => {
    const { page } = await signUp(setup.browser, setup.server, 'Ivy');
    await page.goto('/file-transfer');
    await page.waitForURL(/\/chat\//);
    await page.getByLabel('Choose photos or videos').setInputFiles({
      name: 'lake.png',
      mimeType: 'image/png',
      buffer: await picture('lake', 640, 420),
    });
    await page.getByRole('button', { name: 'Send (1)' }).click();
    await page.getByRole('link', { name: 'My files' }).click();
    const meter = page.getByRole('meter', { name: 'Storage used' });
    // Once the photo is stored, the meter counts it (reopening the page reads the usage again).
    await expect
      .poll(
        async () => {
          await page.goto('/files');
          return meter.getAttribute('aria-valuetext');
        },
        { timeout: 30_000 },
      )
      .toMatch(/^[\d.]+ KB of /);
    expect(await page.getByRole('heading', { name: 'My files' }).count()).toBe(1);
    await page.getByText(/^My files: 0 B · sent in chats and moments: [\d.]+ KB$/).waitFor();
  });
});
