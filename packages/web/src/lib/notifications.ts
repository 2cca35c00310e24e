/**
 * The page's side of notifications: talks to the service worker (src/sw/sw.ts) and the
 * Badging API. Nothing here throws: every API is optional in some browser.
 */
export { conversationTag } from '../sw/push-text.js';

const sw = () =>
  typeof navigator !== 'undefined' && 'serviceWorker' in navigator ? navigator.serviceWorker : undefined;

async function post(message: Record<string, unknown>): Promise<void> {
  try {
    const reg = await sw()?.getRegistration();
    reg?.active?.postMessage(message);
  } catch {
    /* no service worker */
  }
}

/** Tells the service worker the app's language, so pushes are worded in it. */
export const tellWorkerLocale = (locale: string) => post({ type: 'mychat:locale', locale });

/** Closes this browser's notifications of a conversation (it was read here). */
export const closeConversationNotifications = (conversationId: string) =>
  post({ type: 'mychat:read', conversationId });

/** The app badge (installed PWA): the unread count, cleared at 0. */
export function setAppBadge(n: number): void {
  const nav = navigator as Navigator & {
    setAppBadge?: (n?: number) => Promise<void>;
    clearAppBadge?: () => Promise<void>;
  };
  const p = n > 0 ? nav.setAppBadge?.(n) : nav.clearAppBadge?.();
  p?.catch(() => undefined);
}

/** Calls `open(url)` when the service worker asks the page to open something (a notification click). */
export function onWorkerOpen(open: (url: string) => void): void {
  sw()?.addEventListener('message', (e: MessageEvent) => {
    const m = e.data as { type?: string; url?: string } | null;
    if (
      m?.type === 'mychat:open' &&
      typeof m.url === 'string' &&
      m.url.startsWith('/') &&
      !m.url.startsWith('//')
    )
      open(m.url);
  });
}

/** Calls `fn` when the service worker says the browser replaced the push subscription. */
export function onWorkerResubscribe(fn: () => void): void {
  sw()?.addEventListener('message', (e: MessageEvent) => {
    if ((e.data as { type?: string } | null)?.type === 'mychat:resubscribe') fn();
  });
}

/**
 * Shows a notification from the page: through the service worker where there is one (Chrome
 * on Android refuses `new Notification`), else with the constructor.
 */
export async function showPageNotification(
  title: string,
  o: { body: string; tag: string; onClick: () => void },
): Promise<void> {
  try {
    const reg = await sw()?.getRegistration();
    if (reg) {
      await reg.showNotification(title, {
        body: o.body,
        tag: o.tag,
        icon: '/icon-192.png',
        data: { url: `/chat/${o.tag.replace(/^c:/, '')}` },
      });
      return;
    }
    const n = new Notification(title, { body: o.body, tag: o.tag, icon: '/icon-192.png' });
    n.onclick = () => {
      o.onClick();
      n.close();
    };
  } catch {
    /* notifications unavailable */
  }
}

/** The base64url VAPID key as the bytes PushManager.subscribe wants. */
export function keyBytes(base64url: string): Uint8Array<ArrayBuffer> {
  const b64 = base64url.replace(/-/g, '+').replace(/_/g, '/');
  const raw = atob(b64 + '='.repeat((4 - (b64.length % 4)) % 4));
  const out = new Uint8Array(raw.length);
  for (let i = 0; i < raw.length; i++) out[i] = raw.charCodeAt(i);
  return out;
}

/** A name for this browser in the list of devices that ring, e.g. "Chrome on Android". */
export function browserName(): string {
  const ua = navigator.userAgent;
  const browser = /Edg\//.test(ua)
    ? 'Edge'
    : /Firefox\//.test(ua)
      ? 'Firefox'
      : /Chrome\//.test(ua)
        ? 'Chrome'
        : /Safari\//.test(ua)
          ? 'Safari'
          : 'Browser';
  const os = /Android/.test(ua)
    ? 'Android'
    : /iPhone|iPad/.test(ua)
      ? 'iOS'
      : /Mac OS/.test(ua)
        ? 'macOS'
        : /Windows/.test(ua)
          ? 'Windows'
          : /Linux/.test(ua)
            ? 'Linux'
            : '';
  return os ? `${browser} on ${os}` : browser;
}
