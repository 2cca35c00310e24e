/**
 * The messages that carry verification codes, in every language the product speaks.
 * Pure functions: the auth service picks the words here and hands the result to a
 * mailer or an sms sender. Every value put into HTML goes through {@link escapeHtml}.
 */

/** The languages the messages are written in. */
export type Locale = 'zh-CN' | 'en';

/** What a code is for; each purpose has its own wording so a person knows what they are confirming. */
export type CodePurpose = 'register' | 'login' | 'reset-password';

/** A locale as callers may pass it: a known one, or any BCP 47 tag (unknown ones fall back to English). */
export type LocaleInput = Locale | (string & {});

/** A rendered mail: add the recipient and it is a `MailMessage` for the mailer. */
export interface RenderedMail {
  subject: string;
  text: string;
  html: string;
}

const DEFAULT_PRODUCT = 'MyChat';

/**
 * Maps a language tag to a supported locale: any Chinese tag (`zh`, `zh-CN`, `zh_Hans`,
 * `zh-TW`...) to `zh-CN`, since simplified Chinese serves those readers far better than
 * English; everything else, including nothing, to `en`.
 */
export function normalizeLocale(input: string | null | undefined): Locale {
  const tag = (input ?? '').trim().toLowerCase().replace(/_/g, '-');
  return tag === 'zh' || tag.startsWith('zh-') ? 'zh-CN' : 'en';
}

/** Escapes text for HTML element content and quoted attribute values. */
export function escapeHtml(value: string): string {
  return value
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

// a product name goes into the Subject header too: keep it on one line
function productOf(name: string | undefined): string {
  const clean = (name ?? '').replace(/\s+/g, ' ').trim();
  return clean || DEFAULT_PRODUCT;
}

interface PurposeCopy {
  subject: string;
  lead: string;
  ignore: string;
  /** The short name used in text messages ("sign-up", "注册"). */
  short: string;
}

interface LocaleCopy {
  greeting: string;
  purpose: Record<CodePurpose, (p: string) => PurposeCopy>;
  expiry: (minutes: number) => string;
  neverShare: (p: string) => string;
  signoff: (p: string) => string;
  automated: string;
  sms: (p: string, short: string, code: string, minutes: number) => string;
  exists: (p: string) => { subject: string; paragraphs: string[]; sms: string };
}

const copy: Record<Locale, LocaleCopy> = {
  en: {
    greeting: 'Hello,',
    purpose: {
      register: (p) => ({
        subject: `Your ${p} sign-up code`,
        lead: `Enter this code to finish creating your ${p} account:`,
        ignore: `If you didn't try to create a ${p} account, you can ignore this email. No account will be created without this code.`,
        short: 'sign-up',
      }),
      login: (p) => ({
        subject: `Your ${p} sign-in code`,
        lead: `Enter this code to sign in to ${p}:`,
        ignore: `If you didn't try to sign in, you can ignore this email. Nobody can sign in with it unless you share the code.`,
        short: 'sign-in',
      }),
      'reset-password': (p) => ({
        subject: `Reset your ${p} password`,
        lead: `Enter this code to choose a new password for your ${p} account:`,
        ignore: `If you didn't ask to reset your password, you can ignore this email. Your password will not change.`,
        short: 'password reset',
      }),
    },
    expiry: (m) => `The code expires in ${m} ${m === 1 ? 'minute' : 'minutes'} and works only once.`,
    neverShare: (p) => `Never share this code with anyone. ${p} staff will never ask you for it.`,
    signoff: (p) => `— The ${p} team`,
    automated: 'This message was sent automatically. Replies to it are not read.',
    sms: (p, short, code, m) =>
      `[${p}] ${code} is your ${short} code. It expires in ${m} min. Never share it with anyone.`,
    exists: (p) => ({
      subject: `You already have a ${p} account`,
      paragraphs: [
        `Someone, hopefully you, asked to create a ${p} account with this email address. This address already has an account, so no new account was created.`,
        `If that was you, just sign in. If you've forgotten your password, choose "Forgot password" on the sign-in page to set a new one.`,
        `If it wasn't you, you can ignore this email. Nothing about your account has changed.`,
      ],
      sms: `[${p}] Someone tried to sign up with this number, which already has an account. If it was you, sign in instead; if not, ignore this message.`,
    }),
  },
  'zh-CN': {
    greeting: '您好，',
    purpose: {
      register: (p) => ({
        subject: `${p} 注册验证码`,
        lead: `您正在注册 ${p} 账号，请输入以下验证码完成注册：`,
        ignore: `如果这不是您本人的操作，请忽略此邮件。没有验证码，任何人都无法用此邮箱注册账号。`,
        short: '注册',
      }),
      login: (p) => ({
        subject: `${p} 登录验证码`,
        lead: `您正在登录 ${p}，请输入以下验证码：`,
        ignore: `如果这不是您本人的操作，请忽略此邮件。只要您不泄露验证码，他人就无法登录您的账号。`,
        short: '登录',
      }),
      'reset-password': (p) => ({
        subject: `${p} 重置密码验证码`,
        lead: `您正在重置 ${p} 账号的密码，请输入以下验证码设置新密码：`,
        ignore: `如果您没有申请重置密码，请忽略此邮件，您的密码不会被更改。`,
        short: '重置密码',
      }),
    },
    expiry: (m) => `验证码 ${m} 分钟内有效，仅可使用一次。`,
    neverShare: (p) => `请勿将验证码告诉任何人，${p} 工作人员不会向您索要验证码。`,
    signoff: (p) => `${p} 团队`,
    automated: '此邮件由系统自动发送，请勿直接回复。',
    sms: (p, short, code, m) => `【${p}】您的${short}验证码是 ${code}，${m} 分钟内有效。请勿泄露给他人。`,
    exists: (p) => ({
      subject: `${p}：此邮箱已注册账号`,
      paragraphs: [
        `有人（希望是您本人）尝试用此邮箱注册 ${p} 账号。此邮箱已经注册过，因此没有创建新账号。`,
        `如果是您本人，请直接登录；如果忘记了密码，可以在登录页点击“忘记密码”设置新密码。`,
        `如果不是您本人的操作，请忽略此邮件，您的账号没有任何变化。`,
      ],
      sms: `【${p}】有人尝试用此号码注册，此号码已有账号。如是本人请直接登录，否则请忽略本短信。`,
    }),
  },
};

const FONT = `-apple-system,BlinkMacSystemFont,'Segoe UI',Roboto,'Helvetica Neue',Arial,'PingFang SC','Hiragino Sans GB','Microsoft YaHei',sans-serif`;
const P = 'margin:0 0 16px;font-size:15px;line-height:1.6;color:#1f2328;';
const SIGN = 'margin:24px 0 0;font-size:15px;line-height:1.6;color:#1f2328;';
const NOTE = 'margin:0 0 12px;font-size:13px;line-height:1.6;color:#57606a;';

/** Wraps already-escaped body HTML in a page: one centred card, inline styles, no tables. */
function page(
  locale: Locale,
  title: string,
  preheader: string,
  product: string,
  body: string,
  automated: string,
): string {
  return [
    '<!doctype html>',
    `<html lang="${locale}">`,
    '<head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">',
    `<title>${escapeHtml(title)}</title></head>`,
    `<body style="margin:0;padding:0;background:#f4f5f7;">`,
    `<div style="display:none;max-height:0;overflow:hidden;opacity:0;">${escapeHtml(preheader)}</div>`,
    `<div style="max-width:480px;margin:0 auto;padding:32px 16px;font-family:${FONT};">`,
    `<div style="background:#ffffff;border:1px solid #e5e7eb;border-radius:12px;padding:32px 28px;">`,
    `<p style="margin:0 0 24px;font-size:18px;font-weight:600;color:#111827;">${escapeHtml(product)}</p>`,
    body,
    '</div>',
    `<p style="margin:16px 0 0;font-size:12px;line-height:1.5;color:#8c959f;text-align:center;">${escapeHtml(automated)}</p>`,
    '</div>',
    '</body>',
    '</html>',
  ].join('\n');
}

function para(text: string, style = P): string {
  return `<p style="${style}">${escapeHtml(text)}</p>`;
}

/**
 * The mail that carries a verification code: what it is for, the code (large and
 * spaced in HTML, plain in text so it copies cleanly), when it expires, and what to do
 * if the reader did not ask for it.
 */
export function renderCodeMail(opts: {
  locale: LocaleInput;
  purpose: CodePurpose;
  code: string;
  ttlMinutes: number;
  productName?: string;
}): RenderedMail {
  const locale = normalizeLocale(opts.locale);
  const c = copy[locale];
  const p = productOf(opts.productName);
  const purpose = c.purpose[opts.purpose](p);
  const expiry = c.expiry(opts.ttlMinutes);
  const text = [
    c.greeting,
    '',
    purpose.lead,
    '',
    `    ${opts.code}`,
    '',
    expiry,
    '',
    purpose.ignore,
    c.neverShare(p),
    '',
    c.signoff(p),
    '',
  ].join('\n');
  const codeStyle =
    'margin:8px 0 24px;padding:16px 0 16px 10px;background:#f3f4f6;border-radius:8px;text-align:center;' +
    'font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:34px;line-height:40px;' +
    'font-weight:700;letter-spacing:10px;color:#111827;';
  const body = [
    para(c.greeting),
    para(purpose.lead),
    `<p style="${codeStyle}">${escapeHtml(opts.code)}</p>`,
    para(expiry),
    para(purpose.ignore, NOTE),
    para(c.neverShare(p), NOTE),
    para(c.signoff(p), SIGN),
  ].join('\n');
  return {
    subject: purpose.subject,
    text,
    html: page(locale, purpose.subject, purpose.lead, p, body, c.automated),
  };
}

/**
 * The mail sent instead of a sign-up code when the address already has an account. The
 * requester gets the same answer either way (no account enumeration); only the owner of
 * the mailbox learns the account exists, and is told how to sign in or reset.
 */
export function renderAccountExistsMail(opts: { locale: LocaleInput; productName?: string }): RenderedMail {
  const locale = normalizeLocale(opts.locale);
  const c = copy[locale];
  const p = productOf(opts.productName);
  const m = c.exists(p);
  const text = [c.greeting, '', ...m.paragraphs.flatMap((x) => [x, '']), c.signoff(p), ''].join('\n');
  const body = [para(c.greeting), ...m.paragraphs.map((x) => para(x)), para(c.signoff(p), SIGN)].join('\n');
  return {
    subject: m.subject,
    text,
    html: page(locale, m.subject, m.paragraphs[0] ?? '', p, body, c.automated),
  };
}

/** The text message that carries a verification code. */
export function renderCodeSms(opts: {
  locale: LocaleInput;
  purpose: CodePurpose;
  code: string;
  ttlMinutes: number;
  productName?: string;
}): string {
  const c = copy[normalizeLocale(opts.locale)];
  const p = productOf(opts.productName);
  return c.sms(p, c.purpose[opts.purpose](p).short, opts.code, opts.ttlMinutes);
}

/** The text message sent instead of a sign-up code when the number already has an account. */
export function renderAccountExistsSms(opts: { locale: LocaleInput; productName?: string }): string {
  return copy[normalizeLocale(opts.locale)].exists(productOf(opts.productName)).sms;
}
