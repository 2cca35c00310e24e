import { createI18n } from 'vue-i18n';
import { en } from './en.js';
import { searchEn, searchZhCN } from './search.js';
import { zhCN } from './zh-CN.js';
import { momentsShellEn, momentsShellZhCN, withMomentsShell } from './moments-shell.js';
import { accountErrorsEn, accountErrorsZhCN } from './account-errors.js';

export const LOCALES = [
  { code: 'zh-CN', name: '简体中文' },
  { code: 'en', name: 'English' },
] as const;
export type Locale = (typeof LOCALES)[number]['code'];

const KEY = 'mychat.locale';

/** The saved choice, else the browser's language (any zh-* is zh-CN), else English. */
export function initialLocale(): Locale {
  const saved = localStorage.getItem(KEY);
  if (saved === 'en' || saved === 'zh-CN') return saved;
  for (const l of navigator.languages ?? [navigator.language]) {
    if (/^zh\b/i.test(l)) return 'zh-CN';
    if (/^en\b/i.test(l)) return 'en';
  }
  return 'en';
}

export const i18n = createI18n({
  legacy: false,
  locale: initialLocale(),
  fallbackLocale: 'en',
  messages: {
    en: { ...withMomentsShell(en, momentsShellEn), search: searchEn },
    'zh-CN': { ...withMomentsShell(zhCN, momentsShellZhCN), search: searchZhCN },
  },
  missingWarn: import.meta.env.DEV,
  fallbackWarn: import.meta.env.DEV,
});
i18n.global.mergeLocaleMessage('en', accountErrorsEn);
i18n.global.mergeLocaleMessage('zh-CN', accountErrorsZhCN);

export function setLocale(locale: Locale): void {
  i18n.global.locale.value = locale;
  localStorage.setItem(KEY, locale);
  document.documentElement.lang = locale;
}
document.documentElement.lang = i18n.global.locale.value;

let momentsMessages: Promise<void> | undefined;
/** Adds the strings of the moments pages (loaded with those pages, once; again after a failure). */
export function loadMomentsMessages(): Promise<void> {
  momentsMessages ??= import('./moments.js').then(
    (m) => {
      i18n.global.mergeLocaleMessage('en', m.momentsEn);
      i18n.global.mergeLocaleMessage('zh-CN', m.momentsZhCN);
    },
    (e: unknown) => {
      momentsMessages = undefined;
      throw e;
    },
  );
  return momentsMessages;
}
