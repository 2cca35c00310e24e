import type { CodePurpose, ConnectionState, DeviceSession, Destination, Profile } from '@mychat/sdk';
import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import { i18n } from '../../i18n/index.js';
import { sdkClient } from '../../sdk/current-client.js';
import { learnAvatars } from '../../ui/avatar-urls.js';

const ME_KEY = 'mychat.me';

/** Who is signed in, and the connection to the server: wraps client.auth and the state machine. */
export const useSessionStore = defineStore('session', () => {
  const client = sdkClient();
  const cached = localStorage.getItem(ME_KEY);
  const me = ref<Profile | null>(cached ? (JSON.parse(cached) as Profile) : null);
  if (me.value) learnAvatars([me.value]);
  const signedIn = ref(false);
  const checked = ref(false);
  const state = ref<ConnectionState>(client.state);
  const online = ref(navigator.onLine);
  const kicked = ref<string | null>(null);
  const connectError = ref<unknown>(null);

  client.on('state', (s) => {
    state.value = s;
    if (s === 'live') connectError.value = null;
  });
  client.on('kicked', (reason) => {
    kicked.value = reason;
    // Too many sockets: the session still holds (the banner offers to reconnect here). Any other
    // reason ended the session on the server: nothing of the account stays on screen.
    if (reason !== 'too_many_sockets') void ended(reason);
  });
  client.on('session', (s, why) => {
    if (!s && why === 'ended') void ended(kicked.value ?? 'ended');
  });

  let ending = false;
  /**
   * The server ended this session (another login of this client type, signed out from the device
   * list, password changed, or a stored session it no longer knows): forget it here and open the
   * login page afresh, saying why, with the page the person was on as where to go after login.
   */
  async function ended(reason: string) {
    if (ending) return;
    ending = true;
    const here = location.pathname + location.search;
    const guest = /^\/(login|register|forgot)\b/.test(location.pathname);
    // The server call fails (the session is over there); what matters is that it forgets it here.
    await forgetOpened();
    await client.auth.logout().catch(() => undefined);
    await client.close().catch(() => undefined);
    await client.store.clear().catch(() => undefined);
    localStorage.removeItem(ME_KEY);
    const q = new URLSearchParams({ ended: reason });
    if (!guest && here !== '/') q.set('next', here);
    location.assign(`/login?${q}`); // a fresh page: nothing of this account stays in memory
  }
  addEventListener('online', () => (online.value = true));
  addEventListener('offline', () => (online.value = false));

  /** What the banner says: honest about the socket, not just navigator.onLine. */
  const connection = computed<'online' | 'connecting' | 'syncing' | 'offline' | 'reconnecting' | 'stopped'>(
    () => {
      if (state.value === 'live') return 'online';
      if (!online.value) return 'offline';
      if (state.value === 'syncing') return 'syncing';
      if (state.value === 'reconnecting') return 'reconnecting';
      if (state.value === 'stopped') return 'stopped';
      return 'connecting';
    },
  );

  function remember(p: Profile) {
    me.value = p;
    learnAvatars([p]);
    localStorage.setItem(ME_KEY, JSON.stringify(p));
  }

  /** Called once at start: a stored session signs in without a round trip. */
  async function restore(): Promise<void> {
    const s = await client.auth.session();
    signedIn.value = !!s;
    checked.value = true;
    if (s && me.value?.id !== s.userId) me.value = null;
  }

  /** Opens the live connection (reconnecting as needed) and refreshes the profile. */
  function start(): void {
    kicked.value = null;
    client.connect().catch((e: unknown) => (connectError.value = e));
    client.auth.me().then(remember, () => undefined);
  }

  const locale = () => i18n.global.locale.value;

  async function sendCode(to: Destination, purpose: CodePurpose) {
    return client.auth.sendCode(to, purpose, locale());
  }

  async function register(input: { to: Destination; code: string; password: string; nickname: string }) {
    remember(await client.auth.register(input));
    signedIn.value = true;
  }

  async function login(input: { to: Destination; password: string } | { to: Destination; code: string }) {
    remember(await client.auth.login(input));
    signedIn.value = true;
  }

  async function resetPassword(input: { to: Destination; code: string; newPassword: string }) {
    await client.auth.resetPassword(input);
  }

  async function updateProfile(patch: { nickname?: string; signature?: string }) {
    remember(await client.auth.updateProfile(patch));
  }
  /** The profile picture (an uploaded square image; '' removes it). */
  async function setAvatar(mediaId: string) {
    remember(await client.auth.setAvatar(mediaId));
  }

  async function changePassword(current: string, next: string) {
    await client.auth.changePassword(current, next);
  }

  /** The account's signed-in devices, this one first. */
  async function devices(): Promise<DeviceSession[]> {
    return (await client.auth.devices()).sort((a, b) => Number(b.current) - Number(a.current));
  }

  async function revokeDevice(sessionId: string) {
    await client.auth.revokeDevice(sessionId);
  }

  /** The encrypted messages opened in this browser (their keys stay): loaded only now. */
  async function forgetOpened() {
    const id = me.value?.id;
    if (id)
      await import('../../sdk/e2ee-key-store.js')
        .then((m) => m.forgetOpenedBodies(id))
        .catch(() => undefined);
  }

  async function logout() {
    await forgetOpened();
    try {
      await client.auth.logout();
    } catch {
      /* signed out locally either way */
    }
    await client.close();
    await client.store.clear();
    localStorage.removeItem(ME_KEY);
    me.value = null;
    signedIn.value = false;
  }

  return {
    me,
    signedIn,
    checked,
    state,
    online,
    kicked,
    connectError,
    connection,
    restore,
    start,
    sendCode,
    register,
    login,
    resetPassword,
    updateProfile,
    setAvatar,
    changePassword,
    devices,
    revokeDevice,
    logout,
  };
});
