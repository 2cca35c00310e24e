import { createI18n } from 'vue-i18n';
import { en } from './en.js';
import { searchEn, searchZhCN } from './search.js';
import { zhCN } from './zh-CN.js';
import { callsBaseEn, callsBaseZhCN } from './calls-errors.js';
import { socialBaseEn, socialBaseZhCN } from './social-base.js';
import { stickersBaseEn, stickersBaseZhCN } from './stickers-base.js';
import { momentsShellEn, momentsShellZhCN, withMomentsShell } from './moments-shell.js';
import { recordsShellEn, recordsShellZhCN } from './records-shell.js';
import { roomsBaseEn, roomsBaseZhCN, withRoomsBase } from './rooms-base.js';
import { accountErrorsEn, accountErrorsZhCN } from './account-errors.js';
import { e2eeShellEn, e2eeShellZhCN } from './e2ee-shell.js';

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
    en: {
      ...withMomentsShell(withRoomsBase(en, roomsBaseEn), momentsShellEn),
      search: searchEn,
      records: recordsShellEn,
    },
    'zh-CN': {
      ...withMomentsShell(withRoomsBase(zhCN, roomsBaseZhCN), momentsShellZhCN),
      search: searchZhCN,
      records: recordsShellZhCN,
    },
  },
  missingWarn: import.meta.env.DEV,
  fallbackWarn: import.meta.env.DEV,
});
i18n.global.mergeLocaleMessage('en', accountErrorsEn);
i18n.global.mergeLocaleMessage('zh-CN', accountErrorsZhCN);

// Call records and call errors, kept apart from the base files (merged deeply).
i18n.global.mergeLocaleMessage('en', callsBaseEn);
i18n.global.mergeLocaleMessage('zh-CN', callsBaseZhCN);
i18n.global.mergeLocaleMessage('en', socialBaseEn);
i18n.global.mergeLocaleMessage('zh-CN', socialBaseZhCN);
i18n.global.mergeLocaleMessage('en', stickersBaseEn);
i18n.global.mergeLocaleMessage('zh-CN', stickersBaseZhCN);
i18n.global.mergeLocaleMessage('en', e2eeShellEn);
i18n.global.mergeLocaleMessage('zh-CN', e2eeShellZhCN);

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

let recordsMessages: Promise<void> | undefined;
/** Adds the strings of merge-forward, delete for me and the chat-info panel (once; again after a failure). */
export function loadRecordsMessages(): Promise<void> {
  recordsMessages ??= import('./records.js').then(
    (m) => {
      i18n.global.mergeLocaleMessage('en', m.recordsEn);
      i18n.global.mergeLocaleMessage('zh-CN', m.recordsZhCN);
    },
    (e: unknown) => {
      recordsMessages = undefined;
      throw e;
    },
  );
  return recordsMessages;
}

let socialMessages: Promise<void> | undefined;
/** Adds the strings of pictures, QR codes and favourites (once; again after a failure). */
export function loadSocialMessages(): Promise<void> {
  socialMessages ??= import('./social.js').then(
    (m) => {
      i18n.global.mergeLocaleMessage('en', m.socialEn);
      i18n.global.mergeLocaleMessage('zh-CN', m.socialZhCN);
    },
    (e: unknown) => {
      socialMessages = undefined;
      throw e;
    },
  );
  return socialMessages;
}

let stickersMessages: Promise<void> | undefined;
/** Adds the strings of stickers and link previews (once; again after a failure). */
export function loadStickersMessages(): Promise<void> {
  stickersMessages ??= import('./stickers.js').then(
    (m) => {
      i18n.global.mergeLocaleMessage('en', m.stickersEn);
      i18n.global.mergeLocaleMessage('zh-CN', m.stickersZhCN);
    },
    (e: unknown) => {
      stickersMessages = undefined;
      throw e;
    },
  );
  return stickersMessages;
}

let roomsMessages: Promise<void> | undefined;
/** Adds the strings of the listen-together room page (loaded with it, once; again after a failure). */
export function loadRoomsMessages(): Promise<void> {
  roomsMessages ??= import('./rooms.js').then(
    (m) => {
      i18n.global.mergeLocaleMessage('en', m.roomsEn);
      i18n.global.mergeLocaleMessage('zh-CN', m.roomsZhCN);
    },
    (e: unknown) => {
      roomsMessages = undefined;
      throw e;
    },
  );
  return roomsMessages;
}

let callsMessages: Promise<void> | undefined;
/** Adds the call screens' strings (loaded with the call layer, once; again after a failure). */
export function loadCallsMessages(): Promise<void> {
  callsMessages ??= import('./calls.js').then(
    (m) => {
      i18n.global.mergeLocaleMessage('en', m.callsEn);
      i18n.global.mergeLocaleMessage('zh-CN', m.callsZhCN);
    },
    (e: unknown) => {
      callsMessages = undefined;
      throw e;
    },
  );
  return callsMessages;
}

let squareMessages: Promise<void> | undefined;

/** The Square pages' strings (i18n/square.ts), merged once when the Discover tab first opens. */
export function loadSquareMessages(): Promise<void> {
  squareMessages ??= import('./square.js').then(
    (m) => {
      i18n.global.mergeLocaleMessage('en', m.squareEn);
      i18n.global.mergeLocaleMessage('zh-CN', m.squareZhCN);
    },
    (e: unknown) => {
      squareMessages = undefined;
      throw e;
    },
  );
  return squareMessages;
}

let editorMessages: Promise<void> | undefined;
/** Adds the strings of the video trim screen, the image tools and the contact panel (once). */
export function loadEditorMessages(): Promise<void> {
  editorMessages ??= import('./editor.js').then(
    (m) => {
      i18n.global.mergeLocaleMessage('en', m.editorEn);
      i18n.global.mergeLocaleMessage('zh-CN', m.editorZhCN);
    },
    (e: unknown) => {
      editorMessages = undefined;
      throw e;
    },
  );
  return editorMessages;
}

let e2eeMessages: Promise<void> | undefined;
/** The encrypted chat page's strings (i18n/e2ee.ts), merged when that page first opens. */
export function loadE2eeMessages(): Promise<void> {
  e2eeMessages ??= import('./e2ee.js').then(
    (m) => {
      i18n.global.mergeLocaleMessage('en', m.e2eeEn);
      i18n.global.mergeLocaleMessage('zh-CN', m.e2eeZhCN);
    },
    (e: unknown) => {
      e2eeMessages = undefined;
      throw e;
    },
  );
  return e2eeMessages;
}
