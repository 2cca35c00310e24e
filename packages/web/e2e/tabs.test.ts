import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { signUp, withBrowser } from './helpers.js';

/**
 * Two tabs of one browser share the session in IndexedDB. With 30-second access tokens every
 * call refreshes, so both tabs rotate the refresh token over and over at the same time; a tab
 * that sent a token the other had already rotated would make the server end the session in
 * both. They take turns through a Web Lock and re-read the stored session, so both stay in.
 */
describe('web: two tabs refreshing one session', { timeout: 120_000 }, () => {
  const setup = withBrowser({ overrides: { auth: { accessTokenTtlSeconds: 30 } } });

  /** Opens Me (the device list is an authenticated call) and goes back to Chats, `n` times. */
  async function busy(page: Page, n: number) {
    for (let i = 0; i < n; i++) {
      await page.getByRole('link', { name: 'Me' }).click();
      await page.getByRole('list', { name: 'My devices' }).getByText('This device').waitFor();
      await page.getByRole('link', { name: /^Chats/ }).click();
      await page.getByRole('list', { name: 'Chat list' }).waitFor();
    }
  }

  it('both tabs refresh again and again and both stay signed in', async () => {
    const ann = await signUp(setup.browser, setup.server, 'Ann');
    const second = await ann.context.newPage();
    await second.goto('/');
    await second.getByRole('navigation', { name: 'Main navigation' }).waitFor();
    const ended: string[] = [];
    for (const p of [ann.page, second])
      p.on('console', (m) => /REFRESH_TOKEN_REUSED|SESSION_REVOKED/.test(m.text()) && ended.push(m.text()));

    await Promise.all([busy(ann.page, 6), busy(second, 6)]);
    // A reload reads the session from IndexedDB: still signed in, in both tabs.
    for (const p of [ann.page, second]) {
      await p.reload();
      await p.getByRole('navigation', { name: 'Main navigation' }).waitFor();
      await busy(p, 1);
      expect(new URL(p.url()).pathname).not.toBe('/login');
    }
    expect(ended).toEqual([]);
    await ann.context.close();
  });
});
