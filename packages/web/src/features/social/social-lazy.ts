import { defineAsyncComponent } from 'vue';
import { loadSocialMessages } from '../../i18n/index.js';

export { loadSocialMessages };

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
