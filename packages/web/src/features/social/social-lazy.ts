import { defineAsyncComponent } from 'vue';
import { i18n } from '../../i18n/index.js';

let messages: Promise<void> | undefined;
/** Adds the strings of pictures and QR codes (once; again after a failure). */
export function loadSocialMessages(): Promise<void> {
  messages ??= import('../../i18n/social.js').then(
    (m) => {
      i18n.global.mergeLocaleMessage('en', m.socialEn);
      i18n.global.mergeLocaleMessage('zh-CN', m.socialZhCN);
    },
    (e: unknown) => {
      messages = undefined;
      throw e;
    },
  );
  return messages;
}

/** The picture and QR controls, each a lazy chunk that brings its strings. */
export const PictureEditor = defineAsyncComponent(() =>
  loadSocialMessages().then(() => import('./PictureEditor.vue')),
);
export const QrButton = defineAsyncComponent(() => loadSocialMessages().then(() => import('./QrButton.vue')));
export const FavoritesLink = defineAsyncComponent(() =>
  loadSocialMessages().then(() => import('./FavoritesLink.vue')),
);
export const ScanButton = defineAsyncComponent(() =>
  loadSocialMessages().then(() => import('./ScanButton.vue')),
);
