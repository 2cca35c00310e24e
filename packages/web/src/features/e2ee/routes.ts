import type { RouteRecordRaw } from 'vue-router';
import { loadE2eeMessages } from '../../i18n/index.js';

/** The encrypted chat with a friend (lazy: its page, store, strings and the SDK's e2ee entry). */
export const e2eeRoute: RouteRecordRaw = {
  path: 'secret/:peer',
  name: 'e2ee-chat',
  component: () => loadE2eeMessages().then(() => import('./EncryptedChatView.vue')),
  props: true,
};
