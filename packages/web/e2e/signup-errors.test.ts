import { describe, expect, it } from 'vitest';
import { newPage, uniqueEmail, withBrowser } from './helpers.js';

/**
 * Sign-up shows every error the server found at once (issue 24): a too-common password and a
 * wrong code are both marked, each under its field, in one try.
 */
describe('web: sign-up errors', { timeout: 120_000 }, () => {
  const setup = withBrowser();

  it('a common password and a wrong code are both shown after one submit', async () => {
    const { page } = await newPage(setup.browser, setup.server);
    const email = uniqueEmail('Jo');
    await page.goto('/register');
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Nickname').fill('Jo');
    await page.getByRole('button', { name: 'Send code' }).click();
    const code = await setup.server.codeFor(email);
    await page.getByLabel('Verification code').fill(code === '000000' ? '111111' : '000000');
    await page.getByLabel('Password', { exact: true }).fill('password123');
    await page.getByRole('button', { name: 'Sign up' }).click();
    const password = page.getByLabel('Password', { exact: true });
    const codeBox = page.getByLabel('Verification code');
    await expect.poll(() => password.getAttribute('aria-invalid')).toBe('true');
    expect(await codeBox.getAttribute('aria-invalid')).toBe('true');
    const said = async (box: typeof password) =>
      page.locator(`#${await box.getAttribute('aria-describedby')}`).innerText();
    expect(await said(password)).toMatch(/common|guess/i);
    expect(await said(codeBox)).toMatch(/code/i);
  });
});
