import { describe, expect, it } from 'vitest';

import { extractCode } from '../../../test/helpers/outbox.js';
import {
  escapeHtml,
  normalizeLocale,
  renderAccountExistsMail,
  renderAccountExistsSms,
  renderCodeMail,
  renderCodeSms,
  type CodePurpose,
  type Locale,
} from './auth.templates.js';

const locales: Locale[] = ['en', 'zh-CN'];
const purposes: CodePurpose[] = ['register', 'login', 'reset-password'];

describe('renderCodeMail', () => {
  for (const locale of locales) {
    for (const purpose of purposes) {
      it(`${locale} ${purpose}: carries the code, the expiry and the ignore advice`, () => {
        const mail = renderCodeMail({ locale, purpose, code: '048213', ttlMinutes: 5 });
        expect(extractCode(mail.text)).toBe('048213');
        expect(extractCode(mail.html)).toBe('048213');
        expect(mail.html).toMatch(/letter-spacing:\s*\d+px[^>]*>048213</); // large and spaced
        expect(mail.html).toContain(`<html lang="${locale}">`);
        expect(mail.html).not.toMatch(/<table/i);
        expect(mail.text).toContain('5');
        expect(mail.subject).toContain('MyChat');
        expect(mail.subject).not.toContain('048213');
        if (locale === 'en') {
          expect(mail.text).toContain('expires in 5 minutes');
          expect(mail.text).toMatch(/If you didn't/);
        } else {
          expect(mail.text).toContain('5 分钟内有效');
          expect(mail.text).toMatch(/请忽略此邮件/);
        }
      });
    }

    it(`${locale}: the wording differs per purpose`, () => {
      const mails = purposes.map((purpose) =>
        renderCodeMail({ locale, purpose, code: '111111', ttlMinutes: 5 }),
      );
      expect(new Set(mails.map((m) => m.subject)).size).toBe(3);
      expect(new Set(mails.map((m) => m.text)).size).toBe(3);
    });
  }

  it('names the purpose in words a person understands', () => {
    const en = (purpose: CodePurpose) => renderCodeMail({ locale: 'en', purpose, code: '1', ttlMinutes: 5 });
    expect(en('register').text).toContain('finish creating your MyChat account');
    expect(en('login').text).toContain('sign in to MyChat');
    expect(en('reset-password').subject).toBe('Reset your MyChat password');
    const zh = (purpose: CodePurpose) =>
      renderCodeMail({ locale: 'zh-CN', purpose, code: '1', ttlMinutes: 5 });
    expect(zh('register').subject).toBe('MyChat 注册验证码');
    expect(zh('login').subject).toBe('MyChat 登录验证码');
    expect(zh('reset-password').subject).toBe('MyChat 重置密码验证码');
  });

  it('says "1 minute", not "1 minutes"', () => {
    const mail = renderCodeMail({ locale: 'en', purpose: 'login', code: '123456', ttlMinutes: 1 });
    expect(mail.text).toContain('expires in 1 minute and');
  });

  it('escapes everything interpolated into HTML', () => {
    const productName = `<script>alert("x")</script> & 'co'`;
    const mail = renderCodeMail({
      locale: 'en',
      purpose: 'register',
      code: '<b>1</b>',
      ttlMinutes: 5,
      productName,
    });
    expect(mail.html).not.toContain('<script>');
    expect(mail.html).not.toContain('<b>1</b>');
    expect(mail.html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;co&#39;');
    expect(mail.html).toContain('&lt;b&gt;1&lt;/b&gt;');
    expect(mail.text).toContain(productName); // plain text stays plain
  });

  it('keeps a product name on one line, since it goes into the Subject header', () => {
    const mail = renderCodeMail({
      locale: 'en',
      purpose: 'login',
      code: '123456',
      ttlMinutes: 5,
      productName: 'Acme\r\nBcc: x@y',
    });
    expect(mail.subject).toBe('Your Acme Bcc: x@y sign-in code');
  });

  it('falls back to English for an unknown locale', () => {
    const fr = renderCodeMail({ locale: 'fr-FR', purpose: 'login', code: '123456', ttlMinutes: 5 });
    expect(fr).toEqual(renderCodeMail({ locale: 'en', purpose: 'login', code: '123456', ttlMinutes: 5 }));
  });
});

describe('normalizeLocale', () => {
  it('maps Chinese tags to zh-CN and everything else to en', () => {
    for (const tag of ['zh', 'zh-CN', 'zh_CN', 'ZH-cn', 'zh-Hans-CN', 'zh-TW'])
      expect(normalizeLocale(tag)).toBe('zh-CN');
    for (const tag of ['en', 'en-GB', 'fr', 'zhx', '', undefined, null])
      expect(normalizeLocale(tag)).toBe('en');
  });
});

describe('renderAccountExistsMail', () => {
  for (const locale of locales) {
    it(`${locale}: tells the owner the account exists, with no code`, () => {
      const mail = renderAccountExistsMail({ locale });
      expect(() => extractCode(mail.text)).toThrow();
      expect(mail.html).toContain(`<html lang="${locale}">`);
      if (locale === 'en') {
        expect(mail.subject).toBe('You already have a MyChat account');
        expect(mail.text).toContain('Forgot password');
      } else {
        expect(mail.subject).toBe('MyChat：此邮箱已注册账号');
        expect(mail.text).toContain('忘记密码');
      }
    });
  }

  it('falls back to English and escapes the product name', () => {
    const mail = renderAccountExistsMail({ locale: 'de', productName: '<i>X</i>' });
    expect(mail.subject).toBe('You already have a <i>X</i> account');
    expect(mail.html).not.toContain('<i>X</i>');
    expect(mail.html).toContain('&lt;i&gt;X&lt;/i&gt;');
  });
});

describe('renderCodeSms', () => {
  it('carries the code and the expiry in both locales, worded per purpose', () => {
    for (const locale of locales) {
      const texts = purposes.map((purpose) =>
        renderCodeSms({ locale, purpose, code: '550123', ttlMinutes: 5 }),
      );
      for (const text of texts) {
        expect(extractCode(text)).toBe('550123');
        expect(text).toContain('5');
        expect(text.length).toBeLessThanOrEqual(140);
      }
      expect(new Set(texts).size).toBe(3);
    }
    expect(renderCodeSms({ locale: 'zh-CN', purpose: 'login', code: '550123', ttlMinutes: 5 })).toBe(
      '【MyChat】您的登录验证码是 550123，5 分钟内有效。请勿泄露给他人。',
    );
    expect(renderCodeSms({ locale: 'xx', purpose: 'register', code: '550123', ttlMinutes: 5 })).toBe(
      '[MyChat] 550123 is your sign-up code. It expires in 5 min. Never share it with anyone.',
    );
  });

  it('has an account-exists text with no code', () => {
    expect(() => extractCode(renderAccountExistsSms({ locale: 'en' }))).toThrow();
    expect(renderAccountExistsSms({ locale: 'zh-CN' })).toContain('已有账号');
  });
});

describe('escapeHtml', () => {
  it('escapes the five special characters', () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
  });
});

describe('extractCode', () => {
  it('finds exactly one 6-digit code', () => {
    expect(extractCode('code: 012345.')).toBe('012345');
    expect(extractCode('012345 and again 012345')).toBe('012345');
    expect(() => extractCode('no code here, 12345 or 1234567')).toThrow(/found 0/);
    expect(() => extractCode('111111 or 222222')).toThrow(/found 2/);
    expect(extractCode('<p style="color:#111827">code</p><p>654321</p>')).toBe('654321');
  });
});
