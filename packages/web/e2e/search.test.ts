import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Locator, Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { SquareStore } from '../../server/src/services/square/square.repository.js';
import { befriend, messageLog, openChat, send, signUp, withBrowser, type Person } from './helpers.js';

/**
 * Search in real Chromium against a real server: the global panel (Ctrl-K, the search box) finds
 * 公园 in an old message; opening the hit loads the history around it, scrolls the list to it and
 * marks it. In-chat search, contacts by pinyin, the no-result state. With MYCHAT_SCREENSHOTS=1
 * it also writes docs/screenshots/search-*.png.
 */
const OUT = fileURLToPath(new URL('../../../docs/screenshots', import.meta.url));
const FILLER = 60;

/** Whether `inner` lies inside `outer` on screen (the hit is scrolled into the message list's view). */
async function within(outer: Locator, inner: Locator): Promise<boolean> {
  const [o, i] = [await outer.boundingBox(), await inner.boundingBox()];
  return !!o && !!i && i.y >= o.y - 1 && i.y + i.height <= o.y + o.height + 1;
}

describe('web: search', { timeout: 180_000 }, () => {
  const setup = withBrowser({ overrides: { search: { pollIntervalMs: 50 } } });
  let ann: Person;
  let bob: Person;
  const panel = (p: Page) => p.getByRole('dialog', { name: 'Search messages, contacts, files and moments' });

  it('finds 公园 in an old message and opens it scrolled into view and marked', async () => {
    [ann, bob] = await Promise.all([
      signUp(setup.browser, setup.server, 'Ann Lee'),
      signUp(setup.browser, setup.server, '张小明'),
    ]);
    await befriend(ann, bob);
    await openChat(bob, 'Ann Lee');
    await send(bob, '周六我们去公园散步吧，下午三点北门见');
    // Enough newer messages that the hit is not in the page a chat opens with.
    for (let i = 1; i <= FILLER; i++) await send(bob, `filler message ${i}`);
    await messageLog(bob).getByText(`filler message ${FILLER}`, { exact: true }).waitFor();

    const { page } = ann;
    await openChat(ann, '张小明');
    await messageLog(ann).getByText(`filler message ${FILLER}`, { exact: true }).waitFor();
    expect(await messageLog(ann).getByText('去公园散步').count()).toBe(0);

    // Ctrl-K opens the panel; typing searches (debounced) and shows the chat with its one hit.
    await page.keyboard.press('Control+k');
    await panel(page)
      .getByRole('searchbox', { name: 'Search messages, contacts, files and moments' })
      .fill('公园');
    const history = panel(page).getByRole('region', { name: 'Chat history' });
    const hit = history.getByRole('button', { name: /张小明/ });
    await expect.poll(() => hit.count(), { timeout: 15_000 }).toBe(1);
    expect(await hit.locator('mark').first().textContent()).toBe('公园');

    await hit.click();
    await panel(page).waitFor({ state: 'detached' });
    const log = messageLog(ann);
    const marked = log.getByRole('group', { name: 'Search result' });
    await marked.getByText(/去公园散步/).waitFor();
    await expect.poll(() => within(log, marked), { timeout: 5_000 }).toBe(true);
    // The history around it is there both ways, and the newest is one jump away.
    await log.getByText('filler message 1', { exact: true }).waitFor();
    await page.getByRole('button', { name: /Jump to latest|New messages/ }).click();
    await log.getByText(`filler message ${FILLER}`, { exact: true }).waitFor();
  });

  it('searches inside one chat, and opens the hit the same way', async () => {
    const { page } = ann;
    await page.getByRole('button', { name: 'Search this chat' }).click();
    await page.getByRole('searchbox', { name: 'Search in this chat' }).fill('北门');
    const results = page.getByRole('list', { name: 'Search results' });
    await results.getByRole('button', { name: /北门/ }).click();
    const log = messageLog(ann);
    const marked = log.getByRole('group', { name: 'Search result' });
    await marked.getByText(/北门见/).waitFor();
    await expect.poll(() => within(log, marked), { timeout: 5_000 }).toBe(true);
    await page.getByRole('searchbox', { name: 'Search in this chat' }).fill('没有这句话');
    await page.getByText('Nothing in this chat matches “没有这句话”.').waitFor();
    await page.getByRole('button', { name: 'Close search' }).click();
  });

  it('finds a friend by pinyin initials from the search box, and says when nothing matches', async () => {
    const { page } = ann;
    await page.getByRole('link', { name: /^Chats/ }).click();
    await page.getByRole('button', { name: 'Search messages, contacts, files and moments' }).click();
    const box = panel(page).getByRole('searchbox', { name: 'Search messages, contacts, files and moments' });
    await panel(page)
      .getByText(/Pinyin works too/)
      .waitFor();
    await box.fill('zxm');
    const friends = panel(page).getByRole('region', { name: 'Contacts' });
    await friends.getByRole('button', { name: /张小明/ }).waitFor({ timeout: 15_000 });
    await box.fill('qqqzzz');
    await panel(page).getByText('No results for “qqqzzz”.').waitFor();
    await page.keyboard.press('Escape');
    await panel(page).waitFor({ state: 'detached' });
  });

  it('finds a friend’s moment and opens the post', async () => {
    const { page } = bob;
    await page
      .getByRole('navigation', { name: 'Main navigation' })
      .getByRole('link', { name: /^Discover/ })
      .click();
    await page.getByRole('link', { name: 'New moment' }).click();
    await page.getByRole('textbox', { name: 'Text of the moment' }).fill('公园湖边的樱花开得正好');
    await page.getByRole('button', { name: 'Post', exact: true }).click();
    await page.getByRole('feed', { name: 'Moments' }).getByText('公园湖边的樱花开得正好').waitFor();

    await ann.page.getByRole('button', { name: 'Search messages, contacts, files and moments' }).click();
    await panel(ann.page).getByRole('searchbox').fill('樱花');
    const posts = panel(ann.page).getByRole('region', { name: 'Moments' });
    const hit = posts.getByRole('button', { name: /张小明/ });
    await expect.poll(() => hit.count(), { timeout: 15_000 }).toBe(1);
    expect(await hit.locator('mark').first().textContent()).toBe('樱花');
    await hit.click();
    await panel(ann.page).waitFor({ state: 'detached' });
    await ann.page.getByRole('article', { name: /^张小明: 公园湖边的樱花开得正好/ }).waitFor();
  });

  it('finds a thread of the square by its title and opens it', async () => {
    const boardId = '9000000000000002';
    await SquareStore.of(setup.server.app.value('sql')).insertBoard({
      id: boardId,
      name: 'General',
      description: 'Talk about anything',
      groupId: '',
      threadCount: 0,
      createdBy: '0',
      createdAt: Date.now(),
    });
    const { page } = bob;
    await page.goto(`/discover/square/b/${boardId}`);
    await page.getByRole('button', { name: 'New thread' }).click();
    const form = page.getByRole('form', { name: 'New thread' });
    await form.getByRole('textbox', { name: 'Title' }).fill('周末去湖边野餐');
    await form.getByRole('textbox', { name: 'Text (Markdown)' }).fill('带上三明治和水果');
    await form.getByRole('button', { name: 'Post' }).click();
    await page.getByRole('listitem', { name: /^张小明 #0/ }).waitFor();

    await ann.page.goto('/');
    await ann.page.getByRole('navigation', { name: 'Main navigation' }).waitFor();
    await ann.page.keyboard.press('Control+k');
    await panel(ann.page).getByRole('searchbox').fill('野餐');
    const square = panel(ann.page).getByRole('region', { name: 'Square' });
    const hit = square.getByRole('button', { name: /周末去湖边野餐/ });
    await expect.poll(() => hit.count(), { timeout: 15_000 }).toBe(1);
    expect(await hit.locator('mark').first().textContent()).toBe('野餐');
    await hit.click();
    await panel(ann.page).waitFor({ state: 'detached' });
    await ann.page
      .getByRole('listitem', { name: /^张小明 #0/ })
      .getByText('带上三明治和水果')
      .waitFor();
  });

  it.skipIf(!process.env.MYCHAT_SCREENSHOTS)('takes screenshots of the panel and a marked hit', async () => {
    const { page } = ann;
    for (const scheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme: scheme });
      for (const [size, vp] of [
        ['desktop', { width: 1200, height: 760 }],
        ['phone', { width: 390, height: 780 }],
      ] as const) {
        await page.setViewportSize(vp);
        await page.goto('/');
        await page.getByRole('navigation', { name: 'Main navigation' }).waitFor();
        await page.keyboard.press('Control+k');
        await panel(page).getByRole('searchbox').fill('公园');
        await panel(page).getByRole('region', { name: 'Chat history' }).waitFor();
        await page.waitForTimeout(300);
        await page.screenshot({ path: path.join(OUT, `search-${size}-${scheme}.png`) });
        await panel(page).getByRole('region', { name: 'Chat history' }).getByRole('button').first().click();
        await messageLog(ann).getByRole('group', { name: 'Search result' }).waitFor();
        await page.waitForTimeout(500);
        await page.screenshot({ path: path.join(OUT, `search-hit-${size}-${scheme}.png`) });
        await page.keyboard.press('Control+k');
        await panel(page).getByRole('searchbox').fill('野餐');
        await panel(page).getByRole('region', { name: 'Square' }).waitFor();
        await page.waitForTimeout(300);
        await page.screenshot({ path: path.join(OUT, `search-square-${size}-${scheme}.png`) });
        await page.keyboard.press('Escape');
      }
    }
  });
});
