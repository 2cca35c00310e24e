import { describe, expect, it } from 'vitest';
import { signUp, withBrowser } from './helpers.js';
import { picture } from './pictures.js';

/**
 * The image editor before sending, in File transfer (a chat with oneself): it takes the focus
 * when it opens, Escape closes it and gives the focus back to the Edit button.
 */
describe('web: the image editor', { timeout: 120_000 }, () => {
  const setup = withBrowser();

  it('takes the focus, and Escape closes it', async () => {
    const { page } = await signUp(setup.browser, setup.server, 'Eve');
    await page.goto('/file-transfer');
    await page.waitForURL(/\/chat\//);
    await page.getByLabel('Choose photos or videos').setInputFiles({
      name: 'lake.png',
      mimeType: 'image/png',
      buffer: await picture('lake', 640, 420),
    });
    const edit = page.getByRole('button', { name: 'Edit lake.png' });
    await edit.click();
    const editor = page.getByRole('dialog', { name: 'Edit image' });
    await editor.waitFor();
    await expect.poll(() => editor.evaluate((d) => d.contains(document.activeElement))).toBe(true);
    await page.keyboard.press('Escape');
    await editor.waitFor({ state: 'detached' });
    expect(await edit.evaluate((b) => b === document.activeElement)).toBe(true);

    // After a click on the picture (the focus may leave the toolbar), Escape still closes it.
    await edit.click();
    await editor.getByRole('img', { name: 'Image being edited' }).click();
    await page.keyboard.press('Escape');
    await editor.waitFor({ state: 'detached' });
    // The picture stays picked, unsent.
    await page.getByRole('button', { name: 'Send (1)' }).waitFor();
  });
});
