/// <reference lib="webworker" />
/**
 * The service worker (vite-plugin-pwa, injectManifest): the app shell offline, and Web Push.
 * A push is shown as a notification worded in the app's language; a click focuses an open
 * window (which opens the conversation) or opens one; a `clear` push closes the notifications
 * of a conversation read on another device; the app badge shows the unread count.
 */
import { cleanupOutdatedCaches, createHandlerBoundToURL, precacheAndRoute } from 'workbox-precaching';
import { NavigationRoute, registerRoute } from 'workbox-routing';
import { conversationTag, notificationFor, type PushPayload } from './push-text.js';

declare const self: ServiceWorkerGlobalScope & { __WB_MANIFEST: { url: string; revision: string | null }[] };

/** Paths the server answers itself: never served from the app shell. */
const SERVER_PATHS = [/^\/mychat\./, /^\/ws/, /^\/healthz/, /^\/readyz/, /^\/metrics/];

precacheAndRoute(self.__WB_MANIFEST);
cleanupOutdatedCaches();
registerRoute(new NavigationRoute(createHandlerBoundToURL('/index.html'), { denylist: SERVER_PATHS }));

self.addEventListener('install', () => void self.skipWaiting());
self.addEventListener('activate', (e) => e.waitUntil(self.clients.claim()));

/** The app's language: what the page last told us, else the browser's. */
let locale = self.navigator.language || 'en';
const LOCALE_CACHE = 'mychat-settings';
const LOCALE_KEY = '/__mychat/locale';

async function savedLocale(): Promise<string> {
  try {
    const r = await (await caches.open(LOCALE_CACHE)).match(LOCALE_KEY);
    if (r) locale = await r.text();
  } catch {
    /* no cache storage: keep the browser's language */
  }
  return locale;
}

async function setBadge(n: number | undefined) {
  const nav = self.navigator as WorkerNavigator & {
    setAppBadge?: (n?: number) => Promise<void>;
    clearAppBadge?: () => Promise<void>;
  };
  try {
    if (n === undefined) return;
    if (n > 0) await nav.setAppBadge?.(n);
    else await nav.clearAppBadge?.();
  } catch {
    /* the Badging API is optional */
  }
}

async function closeConversation(conversationId: string) {
  for (const n of await self.registration.getNotifications({ tag: conversationTag(conversationId) }))
    n.close();
  if (!(await self.registration.getNotifications()).length) await setBadge(0);
}

async function onPush(data: PushPayload | undefined) {
  if (!data || typeof data !== 'object') return;
  if (data.kind === 'clear') {
    if (data.conversationId) await closeConversation(data.conversationId);
    return;
  }
  const shown = notificationFor(data, await savedLocale());
  if (!shown) return;
  await self.registration.showNotification(shown.title, {
    body: shown.body,
    tag: shown.tag,
    icon: '/icon-192.png',
    badge: '/favicon-32.png',
    data: { url: shown.url, conversationId: data.conversationId ?? '' },
    // Not in TypeScript's lib yet; Chromium and Firefox read them.
    ...({ renotify: shown.renotify, timestamp: data.at } as NotificationOptions),
  });
  await setBadge(data.unread);
}

self.addEventListener('push', (e) => {
  let data: PushPayload | undefined;
  try {
    data = e.data?.json() as PushPayload | undefined;
  } catch {
    data = undefined;
  }
  e.waitUntil(onPush(data));
});

/** Opens `url` in a window of the app: the focused or first one if open, else a new one. */
async function openFromNotification(url: string) {
  const windows = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
  const win = windows.find((w) => w.focused) ?? windows[0];
  if (win) {
    win.postMessage({ type: 'mychat:open', url });
    try {
      await win.focus();
    } catch {
      /* focus needs the click's user activation */
    }
    return;
  }
  await self.clients.openWindow(url);
}

self.addEventListener('notificationclick', (e) => {
  e.notification.close();
  const url = (e.notification.data as { url?: string } | null)?.url ?? '/';
  const done = openFromNotification(url);
  // A click from the browser is trusted; only a trusted event may be extended.
  if (e.isTrusted) e.waitUntil(done);
});

// The browser replaced the subscription (expiry, key rotation): an open window subscribes again
// (it holds the session; the worker does not).
self.addEventListener('pushsubscriptionchange', (e) => {
  (e as ExtendableEvent).waitUntil(
    self.clients
      .matchAll({ type: 'window', includeUncontrolled: true })
      .then((ws) => ws.forEach((w) => w.postMessage({ type: 'mychat:resubscribe' }))),
  );
});

self.addEventListener('message', (e) => {
  const m = e.data as { type?: string; locale?: string; conversationId?: string } | null;
  if (m?.type === 'mychat:locale' && m.locale) {
    locale = m.locale;
    e.waitUntil(caches.open(LOCALE_CACHE).then((c) => c.put(LOCALE_KEY, new Response(m.locale))));
  } else if (m?.type === 'mychat:read' && m.conversationId) e.waitUntil(closeConversation(m.conversationId));
});
