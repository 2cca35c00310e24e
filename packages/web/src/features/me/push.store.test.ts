import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { FakeClient, installBrowserGlobals } from '../../sdk/fake-client.test-helpers.js';

installBrowserGlobals();
const { provideClient } = await import('../../sdk/current-client.js');
const { usePushStore } = await import('./push.store.js');

const KEY = 'BPushKey';
let fake: FakeClient;
let subscribed: boolean;
let browserSub: { endpoint: string } | null;
let permission: NotificationPermission;

/** A browser with a service worker, PushManager and Notification, all fake. */
function installPushGlobals() {
  vi.stubGlobal('window', { PushManager: class {}, Notification: class {} });
  vi.stubGlobal('Notification', {
    get permission() {
      return permission;
    },
    requestPermission: async () => permission,
  });
  const toSub = (endpoint: string) => ({
    endpoint,
    options: { applicationServerKey: null },
    toJSON: () => ({ endpoint, keys: { p256dh: 'p', auth: 'a' } }),
    unsubscribe: async () => {
      browserSub = null;
      return true;
    },
  });
  const pushManager = {
    getSubscription: async () => browserSub && toSub(browserSub.endpoint),
    subscribe: async () => {
      browserSub = { endpoint: 'https://push.example/new' };
      return toSub(browserSub.endpoint);
    },
  };
  vi.stubGlobal('navigator', {
    language: 'en',
    languages: ['en'],
    userAgent: 'Mozilla/5.0 (X11; Linux x86_64) Chrome/130',
    serviceWorker: {
      ready: Promise.resolve({ pushManager }),
      getRegistration: async () => ({ pushManager }),
    },
  });
}

beforeEach(() => {
  installPushGlobals();
  localStorage.clear();
  subscribed = false;
  browserSub = null;
  permission = 'granted';
  fake = new FakeClient();
  fake.provide('auth', { session: async () => ({ userId: 'me', sessionId: 's1' }) });
  fake.provide('push', {
    config: async () => ({
      enabled: true,
      vapidPublicKey: KEY,
      subscribed,
      settings: { preview: false, dndEnabled: false, dndStartMinute: 0, dndEndMinute: 0, timeZone: 'UTC' },
    }),
    subscribe: async () => {
      subscribed = true;
      return {};
    },
    unsubscribe: async () => {
      subscribed = false;
      return true;
    },
    devices: async () => [],
  });
  provideClient(fake.asClient());
  setActivePinia(createPinia());
});

describe('push store', () => {
  it('subscribes this browser and tells the server, with a name for the device', async () => {
    const push = usePushStore();
    await push.load();
    await push.enable();
    expect(push.subscribed).toBe(true);
    expect(fake.calls).toContain(
      'push.subscribe({"endpoint":"https://push.example/new","keys":{"p256dh":"p","auth":"a"}},"Chrome on Linux")',
    );
  });

  it('does nothing when the person says no', async () => {
    permission = 'denied';
    const push = usePushStore();
    await push.load();
    await push.enable();
    expect(push.permission).toBe('denied');
    expect(fake.calls.filter((c) => c.startsWith('push.subscribe'))).toEqual([]);
  });

  it('subscribes again at start only for the user who turned it on here', async () => {
    const push = usePushStore();
    await push.load();
    await push.enable();
    subscribed = false; // a new session, or the push service answered 410
    await push.resume();
    expect(fake.calls.filter((c) => c.startsWith('push.subscribe'))).toHaveLength(2);
    localStorage.setItem('mychat.push.user', 'someone-else');
    subscribed = false;
    await push.resume();
    expect(fake.calls.filter((c) => c.startsWith('push.subscribe'))).toHaveLength(2);
  });

  it('turning it off forgets the subscription here and on the server', async () => {
    const push = usePushStore();
    await push.load();
    await push.enable();
    await push.disable();
    expect(push.subscribed).toBe(false);
    expect(browserSub).toBeNull();
    expect(localStorage.getItem('mychat.push.user')).toBeNull();
    subscribed = false;
    await push.resume();
    expect(fake.calls.filter((c) => c.startsWith('push.subscribe'))).toHaveLength(1);
  });
});
