import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { befriend, FAKE_MEDIA, messageLog, newPage, openChat, send, signUp, withBrowser } from './helpers.js';
import { picture } from './pictures.js';

/**
 * Regenerates docs/screenshots/ (sign-up, chat, chat with media, contacts, My files; light and
 * dark; desktop and phone).
 * Skipped in normal runs; `npm run screenshots` sets MYCHAT_SCREENSHOTS=1.
 */
const OUT = fileURLToPath(new URL('../../../docs/screenshots', import.meta.url));
const DESKTOP = { width: 1200, height: 760 };
const PHONE = { width: 390, height: 780 };

describe.skipIf(!process.env.MYCHAT_SCREENSHOTS)('screenshots', { timeout: 180_000 }, () => {
  const setup = withBrowser({ overrides: { worker: { pollIntervalMs: 50 } }, args: FAKE_MEDIA });

  async function shoot(page: Page, name: string, prepare?: (phone: boolean) => Promise<void>) {
    for (const scheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme: scheme });
      for (const [size, vp] of [
        ['desktop', DESKTOP],
        ['phone', PHONE],
      ] as const) {
        await page.setViewportSize(vp);
        await prepare?.(size === 'phone');
        await page.waitForTimeout(300);
        await page.screenshot({ path: path.join(OUT, `${name}-${size}-${scheme}.png`) });
      }
    }
  }

  it('takes them', async () => {
    const { page: guest } = await newPage(setup.browser, setup.server);
    await guest.goto('/register');
    await guest.getByLabel('Email').fill('ann@example.com');
    await guest.getByLabel('Nickname').fill('Ann');
    await shoot(guest, 'signup');

    const [ann, bob, cat, dan] = await Promise.all([
      signUp(setup.browser, setup.server, 'Ann Lee'),
      signUp(setup.browser, setup.server, 'Bob Chen'),
      signUp(setup.browser, setup.server, '王小明'),
      signUp(setup.browser, setup.server, 'Dan'),
    ]);
    await befriend(bob, ann);
    await befriend(dan, ann);
    // A request Ann has not answered yet: the badge.
    await cat.page.getByRole('link', { name: 'Contacts' }).click();
    await cat.page.getByRole('searchbox', { name: 'Find people' }).fill(ann.email);
    await cat.page.getByRole('button', { name: 'Search' }).click();
    await cat.page.getByLabel('Message with your request').fill('你好，我是徒步群的小明');
    await cat.page.getByRole('button', { name: 'Add friend: Ann Lee' }).click();

    await ann.page.getByRole('link', { name: /^Contacts/ }).click();
    await ann.page.getByRole('link', { name: 'Create group' }).click();
    await ann.page.getByLabel('Group name').fill('Weekend hiking 周末徒步');
    await ann.page.getByRole('checkbox', { name: 'Bob Chen' }).check();
    await ann.page.getByRole('checkbox', { name: 'Dan' }).check();
    await ann.page.getByRole('button', { name: 'Create group' }).click();
    await messageLog(ann).waitFor();
    const groupUrl = new URL(ann.page.url()).pathname.replace('/chat/', '/contacts/group/');
    await ann.page.goto(groupUrl);
    await ann.page.getByLabel('Announcement').fill('Bring water and a rain jacket. 带好水和雨衣。');
    await ann.page.getByRole('button', { name: 'Save' }).click();
    await ann.page.getByText('Saved.').waitFor();
    await openChat(ann, 'Weekend hiking');
    await send(ann, 'Saturday 8:00 at the north gate?');
    await openChat(dan, 'Weekend hiking');
    await send(dan, 'Works for me 👍');

    await openChat(bob, 'Ann Lee');
    await openChat(ann, 'Bob Chen');
    const lines: [typeof ann, string][] = [
      [bob, 'Hi Ann! Are we still on for lunch tomorrow?'],
      [ann, 'Yes! 12:30 at the noodle place near the office?'],
      [bob, 'Perfect. I will book a table for three, Dan is coming too.'],
      [
        ann,
        'Great 😄\nCan you also bring the slides from Monday? I want to go through the numbers once more before the review.',
      ],
      [bob, '没问题，我明天带过来。'],
      [bob, 'By the way, the build is green again: https://ci.example.com/run/4512'],
    ];
    for (const [who, text] of lines) {
      await send(who, text);
      await messageLog(who === ann ? bob : ann)
        .getByText(text.split('\n')[0]!)
        .waitFor();
    }
    // A reply, and Bob typing.
    await messageLog(ann)
      .getByRole('article')
      .filter({ hasText: 'the build is green' })
      .click({ button: 'right' });
    await ann.page.getByRole('menuitem', { name: 'Reply' }).click();
    await send(ann, 'Nice, thanks for fixing it!');
    await messageLog(bob).getByText('Nice, thanks for fixing it!').waitFor();
    await ann.page.waitForTimeout(800);

    await shoot(ann.page, 'chat', async () => {
      await bob.page.getByRole('textbox', { name: 'Message' }).pressSequentially('x');
      await ann.page
        .getByText('Bob Chen is typing…')
        .waitFor({ timeout: 5_000 })
        .catch(() => undefined);
    });
    await shoot(ann.page, 'chats', async (phone) => {
      if (phone) await ann.page.goto('/');
    });

    await ann.page.goto('/contacts');
    await ann.page.getByRole('button', { name: 'Accept: 王小明' }).waitFor();
    await shoot(ann.page, 'contacts', async (phone) => {
      if (!phone)
        await ann.page
          .getByRole('region', { name: 'Friends' })
          .getByRole('link', { name: 'Bob Chen' })
          .click();
      else await ann.page.goto('/contacts');
    });
    await ann.page.goto(groupUrl);
    await ann.page.getByRole('list', { name: 'Members' }).getByText('Dan').waitFor();
    await shoot(ann.page, 'group');
    await ann.page.goto('/me');
    await ann.page.getByRole('list', { name: 'My devices' }).getByText('This device').waitFor();
    await shoot(ann.page, 'me');
  });

  it('takes the chat with media', async () => {
    const [ann, bob] = await Promise.all([
      signUp(setup.browser, setup.server, 'Ann Lee'),
      signUp(setup.browser, setup.server, 'Bob Chen'),
    ]);
    await befriend(bob, ann);
    await openChat(bob, 'Ann Lee');
    await openChat(ann, 'Bob Chen');
    const log = (p: typeof ann) => messageLog(p);
    const pick = async (
      p: typeof ann,
      files: { name: string; mimeType: string; buffer: Buffer }[],
      label: string,
    ) => {
      await p.page.getByLabel(label).setInputFiles(files);
      await p.page.getByRole('button', { name: `Send (${files.length})` }).click();
    };

    await send(bob, 'Photos from Saturday 🏔');
    await pick(
      bob,
      await Promise.all(
        (['sunset', 'lake', 'hills'] as const).map(async (s) => ({
          name: `${s}.png`,
          mimeType: 'image/png',
          buffer: await picture(s),
        })),
      ),
      'Choose photos or videos',
    );
    await log(ann).getByRole('button', { name: 'Open image 3' }).waitFor({ timeout: 30_000 });
    await send(ann, 'Wow, the lake one is beautiful!');
    await pick(
      ann,
      [{ name: 'night.png', mimeType: 'image/png', buffer: await picture('night', 420, 560) }],
      'Choose photos or videos',
    );
    await ann.page.getByRole('button', { name: 'Record a voice message' }).click();
    await ann.page.getByRole('timer').waitFor();
    await ann.page.waitForTimeout(3_200);
    await ann.page.getByRole('button', { name: 'Send voice' }).click();
    await log(bob).getByRole('button', { name: 'Play voice message' }).waitFor({ timeout: 30_000 });
    await pick(
      bob,
      [
        {
          name: 'Trip budget 2024.pdf',
          mimeType: 'application/pdf',
          buffer: Buffer.from('%PDF-1.4\n' + 'budget '.repeat(30_000)),
        },
      ],
      'Choose files',
    );
    await log(ann)
      .getByRole('button', { name: /^Download Trip budget/ })
      .waitFor({ timeout: 30_000 });
    // Every thumbnail has loaded.
    await ann.page.waitForFunction(() =>
      [...document.querySelectorAll<HTMLImageElement>('[role="log"] img')].every(
        (i) => i.complete && i.naturalWidth > 0,
      ),
    );
    await ann.page.waitForTimeout(500);
    // The list stayed at the newest message while tall rows came in.
    // (The button reads "Jump to latest", or "New messages (n)" when some arrived below.)
    expect(await ann.page.getByRole('button', { name: /^(Jump to latest|New messages)/ }).count()).toBe(0);
    await shoot(ann.page, 'chat-media');

    // Two photos picked and waiting in the tray, then the editor with a crop box.
    await ann.page.getByLabel('Choose photos or videos').setInputFiles(
      await Promise.all(
        (['lake', 'sunset'] as const).map(async (s) => ({
          name: `${s}.png`,
          mimeType: 'image/png',
          buffer: await picture(s),
        })),
      ),
    );
    await ann.page.getByRole('button', { name: 'Send (2)' }).waitFor();
    await shoot(ann.page, 'chat-attach');
    await ann.page.getByRole('button', { name: 'Edit lake.png' }).click();
    const editor = ann.page.getByRole('dialog', { name: 'Edit image' });
    await editor.getByRole('button', { name: 'Crop' }).click();
    await shoot(ann.page, 'image-editor', async () => {
      const box = (await editor.getByRole('img', { name: 'Image being edited' }).boundingBox())!;
      await ann.page.mouse.move(box.x + box.width * 0.2, box.y + box.height * 0.15);
      await ann.page.mouse.down();
      await ann.page.mouse.move(box.x + box.width * 0.8, box.y + box.height * 0.85, { steps: 4 });
      await ann.page.mouse.up();
    });
  });

  it('takes My files', async () => {
    const eve = await signUp(setup.browser, setup.server, 'Eve Zhou');
    const { page } = eve;
    await page.getByRole('link', { name: 'My files' }).click();
    for (const name of ['Photos 照片', 'Tax 2026', 'Work']) {
      await page.getByRole('button', { name: 'New folder' }).click();
      await page.getByLabel('Folder name').fill(name);
      await page.getByRole('button', { name: 'Create' }).click();
      await page.getByRole('list', { name: 'Files and folders' }).getByRole('link', { name }).waitFor();
    }
    await page.getByLabel('Upload').setInputFiles([
      { name: 'Quarterly report.pdf', mimeType: 'application/pdf', buffer: pdf(180_000) },
      { name: 'meeting-notes.txt', mimeType: 'text/plain', buffer: Buffer.from('Agenda\n'.repeat(400)) },
    ]);
    await page.getByRole('list', { name: 'Files and folders' }).getByText('meeting-notes.txt').waitFor();
    await shoot(page, 'files');
  });
});

/** Bytes that start like a PDF (the server decides types from the first bytes). */
function pdf(size: number): Buffer {
  const b = Buffer.alloc(size, 0x20);
  b.write('%PDF-1.7\n');
  return b;
}
