import type { Browser, Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import type { TestServer } from '../../server/test/helpers/test-server.js';
import { befriend, newPage, openChat, PASSWORD, signUp, withBrowser, type Person } from './helpers.js';

/**
 * When this client loses its connection or its session (issue 24's first-hour defects): a friend
 * is not shown online on stale news; a tab signed out from the device list elsewhere leaves the
 * chats, lands on the login page told so (not "you signed in on another device"), and goes back
 * where it was after logging in; an invite link opened with a stale session survives the login.
 */
describe('web: when the session ends', { timeout: 180_000 }, () => {
  const setup = withBrowser();

  /** The same person on their PC app (another client type, so the browser stays signed in). */
  async function pcApp(browser: Browser, server: TestServer, who: Person): Promise<Page> {
    const { context, page } = await newPage(browser, server);
    await context.addInitScript(() => {
      (globalThis as { mychatShell?: object }).mychatShell = { clientType: 'pc' };
    });
    await page.goto('/login');
    await page.getByLabel('Email').fill(who.email);
    await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('navigation', { name: 'Main navigation' }).waitFor();
    return page;
  }
  /** From the PC app's device list, signs the web browser out. */
  async function revokeWeb(pc: Page) {
    await pc.goto('/me');
    await pc
      .getByRole('button', { name: /^Sign out: / })
      .first()
      .click();
    await expect.poll(() => pc.getByRole('button', { name: /^Sign out: / }).count()).toBe(0);
  }
  const header = (p: Person) => p.page.locator('section.chat header');

  it('a friend is not shown online while this client is offline', async () => {
    const [ann, bob] = await Promise.all([
      signUp(setup.browser, setup.server, 'Ann'),
      signUp(setup.browser, setup.server, 'Bob'),
    ]);
    await befriend(ann, bob);
    await openChat(ann, 'Bob');
    await header(ann).getByText('Online', { exact: true }).waitFor();
    await ann.context.setOffline(true);
    await expect.poll(() => header(ann).getByText('Online', { exact: true }).count()).toBe(0);
    expect(
      await header(ann)
        .getByText(/^Last seen/)
        .count(),
    ).toBe(1);
    // Back online: the truth comes back.
    await ann.context.setOffline(false);
    await header(ann).getByText('Online', { exact: true }).waitFor({ timeout: 20_000 });
  });

  it('signed out from the device list: no chats left, told why, back where it was after login', async () => {
    const [cat, dan] = await Promise.all([
      signUp(setup.browser, setup.server, 'Cat'),
      signUp(setup.browser, setup.server, 'Dan'),
    ]);
    await befriend(cat, dan);
    await openChat(cat, 'Dan');
    const chatPath = new URL(cat.page.url()).pathname;
    const pc = await pcApp(setup.browser, setup.server, cat);
    await revokeWeb(pc);

    const { page } = cat;
    await page
      .getByRole('status')
      .getByText('This device was signed out from another device.')
      .waitFor({ timeout: 15_000 });
    expect(new URL(page.url()).pathname).toBe('/login');
    expect(await page.getByText('You signed in on another device').count()).toBe(0);
    expect(await page.getByRole('list', { name: 'Chat list' }).count()).toBe(0);
    expect(await page.getByText('Dan').count()).toBe(0);

    await page.getByLabel('Email').fill(cat.email);
    await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.waitForURL((u) => u.pathname === chatPath);
  });

  it('an invite link opened with a stale session joins the group after login', async () => {
    const [eve, fay] = await Promise.all([
      signUp(setup.browser, setup.server, 'Eve'),
      signUp(setup.browser, setup.server, 'Fay'),
    ]);
    await eve.page.getByRole('link', { name: /^Contacts/ }).click();
    await eve.page.getByRole('link', { name: 'Create group' }).click();
    await eve.page.getByLabel('Group name').fill('Choir');
    await eve.page.getByRole('button', { name: 'Create group' }).click();
    await eve.page.waitForURL(/\/chat\//);
    await eve.page.goto(`/contacts/group/${new URL(eve.page.url()).pathname.split('/').pop()}`);
    await eve.page.getByRole('button', { name: 'Create invite link' }).click();
    const url = new URL(await eve.page.getByLabel('Invite link', { exact: true }).inputValue());

    // Fay's browser keeps a session the server has since ended (signed out from her PC).
    await fay.page.close();
    await revokeWeb(await pcApp(setup.browser, setup.server, fay));
    const page = await fay.context.newPage();
    await page.goto(url.pathname);
    await page.getByRole('button', { name: 'Log in' }).waitFor({ timeout: 15_000 });
    await page.getByLabel('Email').fill(fay.email);
    await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.waitForURL(/\/chat\//);
    await page.getByRole('heading', { name: 'Choir' }).waitFor();
  });
});
