import type { PushDevice, PushSettings } from '@mychat/sdk';
import { defineStore } from 'pinia';
import { ref } from 'vue';
import { browserName, keyBytes } from '../../lib/notifications.js';
import { sdkClient } from '../../sdk/current-client.js';

export type Permission = 'granted' | 'denied' | 'default' | 'unsupported';

/** The user whose subscription this browser holds (set when they turn it on, cleared when off). */
const OWNER_KEY = 'mychat.push.user';

const supported = () =>
  typeof window !== 'undefined' &&
  'serviceWorker' in navigator &&
  'PushManager' in window &&
  'Notification' in window;

/** Web Push for this browser: permission, this session's subscription, devices that ring, settings. */
export const usePushStore = defineStore('push', () => {
  const client = sdkClient();
  const permission = ref<Permission>(supported() ? (Notification.permission as Permission) : 'unsupported');
  const enabled = ref(false);
  const subscribed = ref(false);
  const devices = ref<PushDevice[]>([]);
  const settings = ref<PushSettings>({
    preview: false,
    dndEnabled: false,
    dndStartMinute: 1320,
    dndEndMinute: 420,
    timeZone: 'UTC',
  });
  let vapidKey = '';

  async function load() {
    const c = await client.push.config();
    enabled.value = c.enabled;
    vapidKey = c.vapidPublicKey;
    settings.value = c.settings;
    subscribed.value = c.subscribed;
    if (supported()) permission.value = Notification.permission as Permission;
    devices.value = c.enabled ? await client.push.devices() : [];
    // A first visit takes the browser's time zone for do-not-disturb.
    const tz = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (c.settings.timeZone === 'UTC' && tz && tz !== 'UTC' && !c.settings.dndEnabled)
      settings.value = { ...c.settings, timeZone: tz };
  }

  /** Asks for permission, subscribes this browser and tells the server. */
  async function enable(): Promise<void> {
    if (!supported()) return;
    permission.value = (await Notification.requestPermission()) as Permission;
    if (permission.value !== 'granted') return;
    const reg = await navigator.serviceWorker.ready;
    let sub = await reg.pushManager.getSubscription();
    const key = keyBytes(vapidKey);
    const same =
      sub?.options.applicationServerKey &&
      new Uint8Array(sub.options.applicationServerKey).every((b, i) => b === key[i]);
    if (sub && !same) {
      await sub.unsubscribe();
      sub = null;
    }
    sub ??= await reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: key });
    const json = sub.toJSON() as { endpoint: string; keys: { p256dh: string; auth: string } };
    await client.push.subscribe(json, browserName());
    subscribed.value = true;
    localStorage.setItem(OWNER_KEY, (await client.auth.session())?.userId ?? '');
    devices.value = await client.push.devices();
  }

  /**
   * At start, and when the browser replaced the subscription (pushsubscriptionchange): if this
   * browser rang for this user before and the server no longer has the session's subscription
   * (a new session, or the push service answered 410), subscribe again, without asking anyone
   * (permission is already granted).
   */
  async function resume(): Promise<void> {
    if (!supported() || Notification.permission !== 'granted') return;
    const owner = localStorage.getItem(OWNER_KEY);
    if (!owner || owner !== (await client.auth.session())?.userId) return;
    const c = await client.push.config();
    vapidKey = c.vapidPublicKey;
    if (c.enabled && !c.subscribed) await enable();
  }

  async function disable(): Promise<void> {
    await client.push.unsubscribe();
    try {
      await (
        await navigator.serviceWorker.getRegistration()
      )?.pushManager
        .getSubscription()
        .then((s) => s?.unsubscribe());
    } catch {
      /* the browser keeps it; the server no longer has it */
    }
    subscribed.value = false;
    localStorage.removeItem(OWNER_KEY);
    devices.value = await client.push.devices();
  }

  function sendTest(): Promise<boolean> {
    return client.push.sendTest();
  }

  async function update(patch: Partial<PushSettings>) {
    const before = settings.value;
    settings.value = { ...before, ...patch };
    try {
      settings.value = await client.push.updateSettings(
        patch.dndEnabled ? { ...patch, timeZone: settings.value.timeZone } : patch,
      );
    } catch (e) {
      settings.value = before;
      throw e;
    }
  }

  return {
    permission,
    enabled,
    subscribed,
    devices,
    settings,
    load,
    enable,
    disable,
    resume,
    sendTest,
    update,
  };
});
