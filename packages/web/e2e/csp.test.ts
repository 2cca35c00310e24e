import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { befriend, messageLog, newPage, openChat, send, signUp, withBrowser } from './helpers.js';

/**
 * The served app under its Content-Security-Policy: the headers are there, and a person can
 * sign up, chat, open every screen and switch theme and language without the browser blocking
 * anything (no CSP violation reported, no console complaint).
 */
describe('web: the app under its security headers', { timeout: 120_000 }, () => {
  const setup = withBrowser();
  const violations: string[] = [];

  /** Records CSP violations the page reports and the console's own CSP messages. */
  async function watch(page: Page) {
    page.on('console', (m) => {
      if (/Content Security Policy|Refused to/i.test(m.text())) violations.push(m.text());
    });
    await page.addInitScript(() =>
      document.addEventListener('securitypolicyviolation', (e) =>
        console.error(`Refused to load: ${e.violatedDirective} ${e.blockedURI}`),
      ),
    );
  }

  it('the page is served with the policy and the other security headers', async () => {
    const { page, context } = await newPage(setup.browser, setup.server);
    const res = await page.goto('/login');
    const h = res!.headers();
    expect(h['content-security-policy']).toContain("script-src 'self'");
    expect(h['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(h['content-security-policy']).not.toContain('unsafe-inline');
    expect(h['x-content-type-options']).toBe('nosniff');
    expect(h['referrer-policy']).toBe('no-referrer');
    await context.close();
  });

  it('an inline script is really blocked (the policy is in force)', async () => {
    const { page, context } = await newPage(setup.browser, setup.server);
    await page.goto('/login');
    await page.getByRole('button', { name: 'Log in' }).waitFor();
    const ran = await page.evaluate(async () => {
      const s = document.createElement('script');
      s.textContent = 'window.__inlineRan = true';
      document.head.append(s);
      await new Promise((r) => setTimeout(r, 50));
      return (window as unknown as { __inlineRan?: boolean }).__inlineRan === true;
    });
    expect(ran).toBe(false);
    await context.close();
  });

  it('signing up, chatting, every screen, dark theme and Chinese work with no violation', async () => {
    const ann = await signUp(setup.browser, setup.server, 'Ann', { colorScheme: 'dark' });
    const bob = await signUp(setup.browser, setup.server, 'Bob');
    // The policy applies from the first page on; watch from a fresh load of each.
    for (const p of [ann, bob]) {
      await watch(p.page);
      await p.page.reload();
      await p.page.getByRole('navigation', { name: 'Main navigation' }).waitFor();
    }
    await befriend(ann, bob);
    await openChat(ann, 'Bob');
    await send(ann, 'hello under CSP 👋');
    await openChat(bob, 'Ann');
    await messageLog(bob).getByText('hello under CSP 👋').waitFor();
    await send(bob, 'the socket works too');
    await messageLog(ann).getByText('the socket works too').waitFor();

    const page = ann.page;
    await page.getByRole('link', { name: 'Me' }).click();
    await page.getByRole('list', { name: 'My devices' }).getByText('This device').waitFor();
    await page.getByRole('link', { name: 'Settings' }).click();
    await page.getByRole('radiogroup', { name: 'Theme' }).getByText('Light').click();
    await page.getByLabel('Language').selectOption({ label: '简体中文' });
    await page.getByRole('link', { name: '我', exact: true }).waitFor();
    await page.reload();
    await page.getByRole('link', { name: '我', exact: true }).waitFor();
    await page.getByRole('link', { name: /^通讯录/ }).click();
    await page.getByRole('link', { name: '创建群聊' }).click();
    await page.getByLabel('群名称').waitFor();
    await page.getByRole('link', { name: '我的文件' }).click();
    await page.getByRole('heading', { name: '我的文件' }).waitFor();
    await page.getByRole('link', { name: /^发现/ }).click();
    await page.getByRole('region', { name: '朋友圈' }).waitFor();
    await page.getByRole('link', { name: '发表朋友圈' }).click();
    await page.getByRole('radio', { name: '部分可见' }).waitFor();

    expect(violations).toEqual([]);
    await ann.context.close();
    await bob.context.close();
  });
});
