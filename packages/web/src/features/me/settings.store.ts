import { defineStore } from 'pinia';
import { ref, watch } from 'vue';
import { i18n, setLocale, type Locale } from '../../i18n/index.js';
import { sdkClient } from '../../sdk/current-client.js';

export type Theme = 'system' | 'light' | 'dark';
const THEME_KEY = 'mychat.theme';
const NOTIFY_KEY = 'mychat.notifications';

const dark = matchMedia('(prefers-color-scheme: dark)');

/** Language, theme, notifications (this browser) and read-receipt privacy (the account). */
export const useSettingsStore = defineStore('settings', () => {
  const client = sdkClient();
  const theme = ref<Theme>((localStorage.getItem(THEME_KEY) as Theme | null) ?? 'system');
  const locale = ref<Locale>(i18n.global.locale.value as Locale);
  const notifications = ref(localStorage.getItem(NOTIFY_KEY) === 'on');
  const hideReadReceipts = ref(false);

  function applyTheme() {
    const d = theme.value === 'dark' || (theme.value === 'system' && dark.matches);
    document.documentElement.dataset.theme = d ? 'dark' : 'light';
  }
  dark.addEventListener('change', applyTheme);
  watch(
    theme,
    (t) => {
      localStorage.setItem(THEME_KEY, t);
      applyTheme();
    },
    { immediate: true },
  );
  watch(locale, (l) => setLocale(l));

  /** Turning notifications on asks the browser for permission first. */
  async function setNotifications(on: boolean): Promise<boolean> {
    if (on && typeof Notification !== 'undefined' && Notification.permission !== 'granted') {
      on = (await Notification.requestPermission()) === 'granted';
    }
    notifications.value = on;
    localStorage.setItem(NOTIFY_KEY, on ? 'on' : 'off');
    return on;
  }

  async function loadPrivacy() {
    hideReadReceipts.value = (await client.messages.privacy()).hideReadReceipts;
  }

  async function setHideReadReceipts(on: boolean) {
    const before = hideReadReceipts.value;
    hideReadReceipts.value = on;
    try {
      await client.messages.setPrivacy({ hideReadReceipts: on });
    } catch (e) {
      hideReadReceipts.value = before;
      throw e;
    }
  }

  return {
    theme,
    locale,
    notifications,
    hideReadReceipts,
    setNotifications,
    loadPrivacy,
    setHideReadReceipts,
  };
});
