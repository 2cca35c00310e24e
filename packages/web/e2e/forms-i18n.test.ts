import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { newPage, PASSWORD, withBrowser, uniqueEmail } from './helpers.js';

/** Raw i18n keys ("chat.input") that leaked into the page instead of text. */
const RAW_KEY =
  /\b(app|common|auth|validation|errors|nav|connection|chats|chat|contacts|groups|me|settings|time)\.[a-zA-Z_]+(\.[a-zA-Z_]+)*\b/;

async function bodyText(page: Page) {
  return page.evaluate(() => document.body.innerText);
}

describe('web: forms and languages', { timeout: 90_000 }, () => {
  const setup = withBrowser();

  it('bad input shows the error style: red outline, message under the field, focus on the first error', async () => {
    const { context, page } = await newPage(setup.browser, setup.server);
    await page.goto('/register');
    await page.getByRole('button', { name: 'Sign up' }).click();

    const email = page.getByLabel('Email');
    expect(await email.getAttribute('aria-invalid')).toBe('true');
    expect(await email.evaluate((el) => el === document.activeElement)).toBe(true);
    // The outline eases into red (a CSS transition): read it once it has settled.
    await expect
      .poll(() => email.evaluate((el) => getComputedStyle(el).borderTopColor), { timeout: 3_000 })
      .toBe('rgb(217, 48, 38)');
    // The message is tied to the field (aria-describedby), so screen readers read it too.
    const described = await email.getAttribute('aria-describedby');
    expect(await page.locator(`#${described}`).innerText()).toBe('This field is required.');
    expect(await page.getByLabel('Nickname').getAttribute('aria-invalid')).toBe('true');

    // On blur: a malformed address is caught before any request.
    await email.fill('not-an-email');
    await page.getByLabel('Nickname').focus();
    await page.getByText('Enter an email address like name@example.com.').waitFor();
    await page.getByRole('tab', { name: 'With phone' }).click();
    await page.getByLabel('Phone').fill('12345');
    await page.getByLabel('Phone').blur();
    await page.getByText('Enter the number in international form, e.g. +8613800138000.').waitFor();

    // A weak password is refused by the server; the answer lands on the password field.
    await page.getByRole('tab', { name: 'With email' }).click();
    const addr = uniqueEmail('weak');
    await page.getByLabel('Email').fill(addr);
    await page.getByLabel('Nickname').fill('Weak');
    await page.getByRole('button', { name: 'Send code' }).click();
    await page.getByRole('button', { name: /Resend in \d+ s/ }).waitFor();
    await page.getByLabel('Verification code').fill(await setup.server.codeFor(addr));
    await page.getByLabel('Password', { exact: true }).fill('password123');
    await page.getByRole('button', { name: 'Sign up' }).click();
    await page.getByText('That password is too short or too easy to guess.').waitFor();
    expect(await page.getByLabel('Password', { exact: true }).getAttribute('aria-invalid')).toBe('true');
    await context.close();
  });

  it('zh-CN renders fully (browser language), server errors come in Chinese, and English is one click away', async () => {
    const { context, page } = await newPage(setup.browser, setup.server, { locale: 'zh-CN' });
    await page.goto('/login');
    expect(await page.evaluate(() => document.documentElement.lang)).toBe('zh-CN');
    await page.getByLabel('邮箱').fill('nobody@example.com');
    await page.getByLabel('密码', { exact: true }).fill(PASSWORD);
    await page.getByRole('button', { name: '登录' }).click();
    await page.getByRole('alert').filter({ hasText: '账号或密码不正确。' }).waitFor();

    // Sign up in Chinese.
    await page.getByRole('link', { name: '注册' }).click();
    const email = uniqueEmail('li');
    await page.getByLabel('邮箱').fill(email);
    await page.getByLabel('昵称').fill('小李');
    await page.getByRole('button', { name: '获取验证码' }).click();
    await page.getByLabel('验证码').fill(await setup.server.codeFor(email));
    await page.getByLabel('密码', { exact: true }).fill(PASSWORD);
    await page.getByRole('button', { name: '注册' }).click();
    await page.getByRole('navigation', { name: '主导航' }).waitFor();

    const english = /\b(Chats|Contacts|Settings|Friends|Language|Search|Log out)\b/;
    for (const [link, heading] of [
      ['消息', null],
      ['通讯录', null],
      ['我', '我的设备'],
      ['设置', '设置'],
    ] as const) {
      await page
        .getByRole('navigation', { name: '主导航' })
        .getByRole('link', { name: link, exact: true })
        .click();
      if (heading) await page.getByRole('heading', { name: heading }).waitFor();
      else await page.waitForTimeout(200);
      const text = await bodyText(page);
      expect(text, link).not.toMatch(RAW_KEY);
      expect(text, link).not.toMatch(english);
    }
    // The device list names this browser.
    await page
      .getByRole('navigation', { name: '主导航' })
      .getByRole('link', { name: '我', exact: true })
      .click();
    await page.getByRole('list', { name: '我的设备' }).getByText('Chrome on Linux').waitFor();

    // Switch to English in settings: everything follows, and it sticks across a reload.
    await page.getByRole('navigation', { name: '主导航' }).getByRole('link', { name: '设置' }).click();
    await page.getByRole('combobox', { name: '语言' }).selectOption('en');
    await page.getByRole('heading', { name: 'Settings' }).waitFor();
    await page.reload();
    await page.getByRole('heading', { name: 'Settings' }).waitFor();
    for (const link of ['Chats', 'Contacts', 'Me', 'Settings']) {
      await page
        .getByRole('navigation', { name: 'Main navigation' })
        .getByRole('link', { name: link, exact: true })
        .click();
      await page.waitForTimeout(150);
      // Only the person's own name (and its avatar initial) and the language's own name stay Chinese.
      const text = (await bodyText(page)).replace(/小李|小|简体中文/g, '');
      expect(text, link).not.toMatch(RAW_KEY);
      expect(text, link).not.toMatch(/[\u4e00-\u9fff]/);
    }
    // Dark theme applies at once.
    await page
      .getByRole('navigation', { name: 'Main navigation' })
      .getByRole('link', { name: 'Settings' })
      .click();
    await page.getByRole('radio', { name: 'Dark' }).check({ force: true });
    expect(await page.evaluate(() => document.documentElement.dataset.theme)).toBe('dark');
    await context.close();
  });
});
