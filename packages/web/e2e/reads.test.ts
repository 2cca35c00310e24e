import { describe, expect, it } from 'vitest';
import {
  befriend,
  messageLog,
  openChat,
  send,
  signUp,
  withBrowser,
  type BrowserSetup,
  type Person,
} from './helpers.js';

/** The "N read" label under one's own message with this text. */
const readsOf = (p: Person, text: string) =>
  messageLog(p).getByRole('article').filter({ hasText: text }).getByTestId('msg-reads');

/** Ann, Bob and Cat; Ann is friends with both and creates a group of the three. */
async function groupOfThree(setup: BrowserSetup, name: string) {
  const [ann, bob, cat] = await Promise.all([
    signUp(setup.browser, setup.server, 'Ann'),
    signUp(setup.browser, setup.server, 'Bob'),
    signUp(setup.browser, setup.server, 'Cat'),
  ]);
  await befriend(ann, bob);
  await befriend(ann, cat);
  await ann.page.getByRole('link', { name: /^Contacts/ }).click();
  await ann.page.getByRole('link', { name: 'Create group' }).click();
  await ann.page.getByLabel('Group name').fill(name);
  await ann.page.getByRole('checkbox', { name: 'Bob' }).check();
  await ann.page.getByRole('checkbox', { name: 'Cat' }).check();
  await ann.page.getByRole('button', { name: 'Create group' }).click();
  await messageLog(ann).getByText('Ann created the group').waitFor();
  return [ann, bob, cat] as const;
}

/**
 * Read counts on one's own group messages, in real Chromium against a real server: the label
 * follows receipt pushes (small groups), or asks again when the page comes to the front (big
 * groups push none), and names the readers in a dialog a keyboard can open and close.
 */
describe('web: "N read" in group chats', { timeout: 120_000 }, () => {
  const setup = withBrowser();

  it('one member reads: "1 read", the list names the reader; everyone: "All read"', async () => {
    const [ann, bob, cat] = await groupOfThree(setup, 'Reading club');
    await send(ann, 'Chapter 3 by Friday');
    await expect.poll(() => readsOf(ann, 'Chapter 3 by Friday').textContent()).toContain('Unread');

    // Bob opens the chat (and so reads it); the receipt push makes Ann's label ask again.
    await openChat(bob, 'Reading club');
    await messageLog(bob).getByText('Chapter 3 by Friday').waitFor();
    const label = readsOf(ann, 'Chapter 3 by Friday');
    await expect.poll(() => label.textContent(), { timeout: 15_000 }).toContain('1 read');
    // Bob's own messages show Ann none (only one's own messages have the label).
    await send(bob, 'On it');
    await messageLog(ann).getByText('On it').waitFor();
    expect(
      await messageLog(ann)
        .getByRole('article')
        .filter({ hasText: 'On it' })
        .getByTestId('msg-reads')
        .count(),
    ).toBe(0);

    // A keyboard opens the list: it names Bob, not Cat; Escape closes it, focus goes back.
    await label.focus();
    await ann.page.keyboard.press('Enter');
    const dialog = ann.page.getByRole('dialog', { name: 'Read by' });
    await dialog.waitFor();
    const readers = dialog.getByRole('list', { name: 'Readers' });
    await readers.getByText('Bob', { exact: true }).waitFor();
    expect(await readers.getByRole('listitem').count()).toBe(1);
    await dialog.getByText('1 of 2 have read it').waitFor();
    await ann.page.keyboard.press('Escape');
    await expect.poll(() => dialog.count()).toBe(0);
    expect(await label.evaluate((el) => el === document.activeElement)).toBe(true);

    // Cat reads too: every other member has.
    await openChat(cat, 'Reading club');
    await messageLog(cat).getByText('Chapter 3 by Friday').waitFor();
    await expect.poll(() => label.textContent(), { timeout: 15_000 }).toContain('All read');
    await label.click();
    await readers.getByText('Cat', { exact: true }).waitFor();
    await readers.getByText('Bob', { exact: true }).waitFor();
    await dialog.getByRole('button', { name: 'Close' }).click();
    await expect.poll(() => dialog.count()).toBe(0);

    // For looking at it: MYCHAT_READS_SHOT=/tmp/reads-shot.png writes Ann's chat with all three states.
    if (process.env.MYCHAT_READS_SHOT) {
      await cat.page.getByRole('link', { name: /^Contacts/ }).click();
      await send(ann, 'And chapter 4 next week');
      await expect
        .poll(() => readsOf(ann, 'chapter 4').textContent(), { timeout: 15_000 })
        .toContain('1 read');
      await bob.page.getByRole('link', { name: /^Contacts/ }).click();
      await send(ann, 'Who brings snacks?');
      await expect.poll(() => readsOf(ann, 'snacks').textContent()).toContain('Unread');
      await ann.page.waitForTimeout(300);
      await ann.page.screenshot({ path: process.env.MYCHAT_READS_SHOT });
      await readsOf(ann, 'chapter 4').click();
      await dialog.getByText('Bob', { exact: true }).waitFor();
      await ann.page.screenshot({ path: process.env.MYCHAT_READS_SHOT.replace(/\.png$/, '-list.png') });
      await ann.page.keyboard.press('Escape');
    }
    for (const p of [ann, bob, cat]) await p.context.close();
  });
});

describe('web: "N read" in a group too big for receipt pushes', { timeout: 120_000 }, () => {
  // Every group is "big": the server pushes no group receipts at all.
  const setup = withBrowser({
    overrides: { message: { sendBurst: 1000, sendRatePerSecond: 1000, groupReceiptPushMaxMembers: 0 } },
  });

  it('the label asks again when the page comes back to the front', async () => {
    const [ann, bob, cat] = await groupOfThree(setup, 'Big group');
    await send(ann, 'Anyone there?');
    const label = readsOf(ann, 'Anyone there?');
    await expect.poll(() => label.textContent()).toContain('Unread');

    await openChat(bob, 'Big group');
    await messageLog(bob).getByText('Anyone there?').waitFor();
    // No push comes: the label stays as it was ...
    await ann.page.waitForTimeout(6_000);
    expect(await label.textContent()).toContain('Unread');
    // ... until Ann's window gets the focus back.
    await ann.page.evaluate(() => dispatchEvent(new Event('focus')));
    await expect.poll(() => label.textContent(), { timeout: 10_000 }).toContain('1 read');
    for (const p of [ann, bob, cat]) await p.context.close();
  });
});
