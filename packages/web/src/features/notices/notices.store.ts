import { defineStore } from 'pinia';
import { ref } from 'vue';
import { i18n } from '../../i18n/index.js';
import { noticesEn, noticesZhCN } from '../../i18n/notices.js';
import { sdkClient } from '../../sdk/current-client.js';

i18n.global.mergeLocaleMessage('en', noticesEn);
i18n.global.mergeLocaleMessage('zh-CN', noticesZhCN);

/** The notice last dismissed on this device: it is not shown again. */
const DISMISSED_KEY = 'mychat.notice.dismissed';

export interface ShownNotice {
  id: string;
  title: string;
  body: string;
}

/** The operators' system notice, shown as a banner as it arrives (the `systemNotice` event). */
export const useNoticesStore = defineStore('notices', () => {
  const client = sdkClient();
  const current = ref<ShownNotice | null>(null);

  client.on('systemNotice', (n) => {
    if (localStorage.getItem(DISMISSED_KEY) === n.id) return;
    current.value = { id: n.id, title: n.title, body: n.body };
  });

  function dismiss() {
    if (current.value) localStorage.setItem(DISMISSED_KEY, current.value.id);
    current.value = null;
  }

  return { current, dismiss };
});
