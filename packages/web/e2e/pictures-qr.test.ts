import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { befriend, messageLog, signUp, withBrowser, type Person } from './helpers.js';
import { picture } from './pictures.js';

const shot = (name: string) =>
  fileURLToPath(new URL(`../../../docs/screenshots/${name}.png`, import.meta.url));

/** The picture shown for `name` in a region: its <img>'s path, once it has loaded. */
async function pictureIn(p: Person, scope: ReturnType<Person['page']['locator']>): Promise<string> {
  const img = scope.locator('img.pic').first();
  await img.waitFor();
  await expect
    .poll(() => img.evaluate((el: HTMLImageElement) => el.complete && el.naturalWidth))
    .toBeGreaterThan(0);
  return new URL(await img.getAttribute('src'), p.page.url()).pathname;
}

/**
 * Profile pictures and QR codes as people use them: choose a photo, crop it to a square, see
 * it on the Me page and in a friend's lists; a group's picture changed by its owner (and not
 * offered to a member); "My QR code" and "Scan" (by pasting the link, as in a browser with no
 * camera) to add a friend; the same in Chinese and on a phone.
 */
describe('web: profile pictures and QR codes', { timeout: 180_000 }, () => {
  const setup = withBrowser();

  it('a person crops and sets a picture; friends see it; the group owner sets the group’s', async () => {
    const [ann, bob] = await Promise.all([
      signUp(setup.browser, setup.server, 'Ann'),
      signUp(setup.browser, setup.server, 'Bob'),
    ]);
    const { page } = ann;
    await page.getByRole('link', { name: 'Me' }).click();
    await page.getByLabel('Change picture').setInputFiles({
      name: 'sunset.png',
      mimeType: 'image/png',
      buffer: await picture('sunset', 640, 420),
    });
    const crop = page.getByRole('dialog', { name: 'Crop your picture' });
    const area = crop.getByRole('img', { name: /^Picture area/ });
    await area.focus();
    await area.press('ArrowLeft');
    await crop.getByRole('slider', { name: 'Zoom' }).fill('1.5');
    await crop.getByRole('button', { name: 'Use this picture' }).click();
    await page.getByRole('status').getByText('Picture saved').waitFor();
    const hero = page.getByRole('region', { name: 'Me' });
    const path = await pictureIn(ann, hero.locator('.hero'));
    expect(path).toMatch(/^\/media\/v1\/avatar\/\d+\/\d+$/);
    // The stored picture is a square (the server refuses anything else).
    const size = await page.evaluate(async (p) => {
      const img = new Image();
      img.src = p;
      await img.decode();
      return [img.naturalWidth, img.naturalHeight];
    }, path);
    expect(size[0]).toBe(size[1]);
    if (process.env.MYCHAT_SCREENSHOTS)
      await page.screenshot({ path: shot('profile-picture-desktop-light') });

    // A friend sees it in the chat list.
    await befriend(ann, bob);
    await bob.page.getByRole('link', { name: /^Chats/ }).click();
    const row = bob.page.getByRole('list', { name: 'Chat list' }).getByRole('link', { name: /^Ann/ });
    expect(await pictureIn(bob, row)).toBe(path);

    // A group: the owner changes its picture; the member is not offered to.
    await page.getByRole('link', { name: /^Contacts/ }).click();
    await page.getByRole('link', { name: 'Create group' }).click();
    await page.getByLabel('Group name').fill('Hikers');
    await page.getByRole('checkbox', { name: 'Bob' }).check();
    await page.getByRole('button', { name: 'Create group' }).click();
    await messageLog(ann).getByText('Ann created the group').waitFor();
    await page.getByRole('button', { name: 'Chat info' }).click();
    await page.getByRole('link', { name: 'Members' }).click();
    await page.getByLabel('Change group picture').setInputFiles({
      name: 'lake.png',
      mimeType: 'image/png',
      buffer: await picture('lake', 500, 500),
    });
    await page
      .getByRole('dialog', { name: 'Crop your picture' })
      .getByRole('button', { name: 'Use this picture' })
      .click();
    await page.getByRole('status').getByText('Picture saved').waitFor();
    const groupPath = await pictureIn(ann, page.getByRole('region', { name: 'Hikers' }).locator('.hero'));
    expect(groupPath).toMatch(/^\/media\/v1\/avatar\/\d+\/\d+$/);
    if (process.env.MYCHAT_SCREENSHOTS) await page.screenshot({ path: shot('group-picture-desktop-light') });

    await bob.page.goto(new URL(page.url()).pathname);
    await bob.page.getByRole('heading', { name: 'Hikers' }).waitFor();
    await bob.page.getByRole('button', { name: 'Leave group' }).waitFor();
    expect(await bob.page.getByRole('button', { name: 'Change group picture' }).count()).toBe(0);
    await bob.page.getByRole('link', { name: /^Chats/ }).click();
    const groupRow = bob.page.getByRole('list', { name: 'Chat list' }).getByRole('link', { name: /^Hikers/ });
    await groupRow.getByText('Ann changed the group picture').waitFor();
  });

  it('my QR code, and a pasted link in Scan, lead to a friend request', async () => {
    const [dan, eve] = await Promise.all([
      signUp(setup.browser, setup.server, 'Dan'),
      signUp(setup.browser, setup.server, 'Eve'),
    ]);
    await dan.page.getByRole('link', { name: 'Me' }).click();
    await dan.page.getByRole('button', { name: 'My QR code' }).click();
    const qr = dan.page.getByRole('dialog', { name: 'Dan' });
    await qr.getByRole('img', { name: 'QR code: Dan' }).waitFor();
    const link = await qr.getByLabel('Link').inputValue();
    expect(link).toMatch(new RegExp(`^${setup.server.baseUrl}/add/\\d+$`));
    if (process.env.MYCHAT_SCREENSHOTS) await dan.page.screenshot({ path: shot('my-qr-desktop-light') });
    await qr.getByRole('button', { name: 'Close' }).click();

    await eve.page.getByRole('link', { name: 'Me' }).click();
    await eve.page.getByRole('button', { name: 'Scan' }).click();
    const scan = eve.page.getByRole('dialog', { name: 'Scan a QR code' });
    // This browser has no camera to open: said, and the link can be pasted instead.
    await scan
      .getByRole('alert')
      .getByText('This browser cannot scan here. Paste the link instead.')
      .waitFor();
    // A link to another site is refused.
    await scan.getByLabel('Link').fill('https://evil.example.com/add/1');
    await scan.getByRole('button', { name: 'Open' }).click();
    await scan.getByRole('alert').getByText('This is not a MyChat link.').waitFor();
    await scan.getByLabel('Link').fill(link);
    await scan.getByRole('button', { name: 'Open' }).click();
    const add = eve.page.getByRole('region', { name: 'Add friend' });
    await add.getByRole('heading', { name: 'Dan' }).waitFor();
    await add.getByLabel('Note').fill('From your QR code');
    await add.getByRole('button', { name: 'Add friend' }).click();
    await add.getByRole('status').getByText('Friend request sent').waitFor();

    await dan.page.getByRole('link', { name: /^Contacts/ }).click();
    await dan.page.getByRole('button', { name: 'Accept: Eve' }).click();
    await dan.page.getByRole('region', { name: 'Friends' }).getByRole('link', { name: 'Eve' }).waitFor();
  });

  it('in Chinese on a phone: the Me page offers the picture, QR and scan controls', async () => {
    const fay = await signUp(setup.browser, setup.server, 'Fay', {
      viewport: { width: 390, height: 844 },
      colorScheme: 'dark',
    });
    const { page } = fay;
    await page.evaluate(() => localStorage.setItem('mychat.locale', 'zh-CN'));
    await page.goto('/me');
    await page.getByRole('button', { name: '我的二维码' }).waitFor();
    await page.getByRole('button', { name: '扫一扫' }).waitFor();
    await page.getByLabel('更换头像').setInputFiles({
      name: 'hills.png',
      mimeType: 'image/png',
      buffer: await picture('hills', 420, 640),
    });
    const crop = page.getByRole('dialog', { name: '裁剪头像' });
    await crop.getByRole('slider', { name: '缩放' }).waitFor();
    if (process.env.MYCHAT_SCREENSHOTS) await page.screenshot({ path: shot('picture-crop-phone-dark-zh') });
    await crop.getByRole('button', { name: '使用此头像' }).click();
    await page.getByRole('status').getByText('头像已保存').waitFor();
    await page.getByRole('button', { name: '我的二维码' }).click();
    await page.getByRole('img', { name: '二维码：Fay' }).waitFor();
    if (process.env.MYCHAT_SCREENSHOTS) await page.screenshot({ path: shot('my-qr-phone-dark-zh') });
    await fay.context.close();
  });
});
