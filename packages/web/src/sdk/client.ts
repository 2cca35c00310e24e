import { MyChatClient, type UploadStore } from '@mychat/sdk';
import { IdbChatStore } from './idb-chat-store.js';
import { openDb } from './idb.js';
import { IdbSessionStore } from './idb-session-store.js';

/** A stable id for this browser installation (kept in localStorage). */
function deviceId(): string {
  const key = 'mychat.deviceId';
  let id = localStorage.getItem(key);
  if (!id) {
    id = crypto.randomUUID().replace(/-/g, '');
    localStorage.setItem(key, id);
  }
  return id;
}

/** "Chrome on Linux": what the person sees in "my devices". */
export function deviceName(ua = navigator.userAgent): string {
  const browser = /Edg\//.test(ua)
    ? 'Edge'
    : /Firefox\//.test(ua)
      ? 'Firefox'
      : /Chrom(e|ium)\//.test(ua)
        ? 'Chrome'
        : /Safari\//.test(ua)
          ? 'Safari'
          : 'Browser';
  const os = /Android/.test(ua)
    ? 'Android'
    : /iPhone|iPad/.test(ua)
      ? 'iOS'
      : /Windows/.test(ua)
        ? 'Windows'
        : /Mac OS X/.test(ua)
          ? 'macOS'
          : /Linux/.test(ua)
            ? 'Linux'
            : 'web';
  return `${browser} on ${os}`;
}

/**
 * The client type this build signs in as. A desktop shell that wraps the same build (and so is
 * the person's PC app, which may be signed in next to a browser) sets `mychatShell` before the
 * app loads; a new sign-in of the same type ends the older session, so the two must differ.
 */
function clientType(): 'web' | 'pc' {
  const shell = (globalThis as { mychatShell?: { clientType?: string } }).mychatShell;
  return shell?.clientType === 'pc' ? 'pc' : 'web';
}

/**
 * Unfinished resumable uploads, in localStorage: after a reload, sending the same file again
 * resumes where the server left off. Keys carry the SDK's "mychat-upload:" prefix.
 */
export const localUploadStore: UploadStore = {
  get: async (fp) => localStorage.getItem(fp) ?? undefined,
  set: async (fp, url) => localStorage.setItem(fp, url),
  remove: async (fp) => localStorage.removeItem(fp),
};

const db = openDb();

/** The one SDK client of this tab; the UI reaches the server only through it. */
export const client = new MyChatClient({
  baseUrl: location.origin,
  device: { clientType: clientType(), deviceId: deviceId(), name: deviceName() },
  chatStore: new IdbChatStore(db),
  sessionStore: new IdbSessionStore(db),
  uploadStore: localUploadStore,
});
