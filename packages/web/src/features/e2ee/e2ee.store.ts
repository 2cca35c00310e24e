import type { ChatMessage, Conversation } from '@mychat/sdk';
import {
  E2ee,
  searchEncryptedChat,
  type E2eeStatus,
  type Opened,
  type OpenFailure,
  type SafetyNumber,
  type SealedFileInfo,
} from '@mychat/sdk/e2ee';
import { defineStore } from 'pinia';
import { reactive, ref, shallowRef } from 'vue';
import { sdkClient } from '../../sdk/current-client.js';
import { IdbKeyStore } from '../../sdk/e2ee-key-store.js';
import { useSessionStore } from '../auth/session.store.js';

const PAGE = 50;
/** The newest messages of a page, opened and shown before the rest of it (about a screenful). */
const FIRST_SCREEN = 20;
/** Pictures and voice clips are downloaded and decrypted as they are shown; other files on a tap. */
const opensAtOnce = (f: ShownMessage['file']) => f?.kind === 'image' || !!f?.mime.startsWith('audio/');

/** One message of an encrypted chat as shown: opened on this device, or why not. */
export interface ShownMessage {
  seq: number;
  senderId: string;
  createdAt: number;
  recalled: boolean;
  text?: string;
  /** An image or file: its object URL once downloaded and decrypted (images load at once). */
  file?: SealedFileInfo & { kind: 'image' | 'file'; url?: string };
  failure?: OpenFailure;
}

/** One of my devices in encrypted chats; the backup key is listed as `backup`. */
export interface MyDevice {
  deviceId: string;
  createdAt: number;
  current: boolean;
  backup: boolean;
}

/** Encrypted chats (lazy: loaded with their page). Wraps `@mychat/sdk/e2ee`. */
export const useE2eeStore = defineStore('e2ee', () => {
  const client = sdkClient();
  const e2ee = new E2ee(client, { store: new IdbKeyStore() });
  const status = ref<E2eeStatus | 'loading'>('loading');
  const chat = shallowRef<Conversation>();
  const messages = ref<ShownMessage[]>([]);
  const trust = reactive({ verified: false, changed: false });
  const peerReady = ref(true);
  const raw = new Map<number, ChatMessage>();
  const hasMore = ref(false);
  const loadingOlder = ref(false);

  async function refreshStatus() {
    status.value = await e2ee.status();
  }

  /** Opens messages on this device (kept bodies read together): what each shows, in order. */
  async function shownOfAll(list: ChatMessage[]): Promise<ShownMessage[]> {
    const sealed = list.filter((m) => !m.recalled && m.content.type === 'encrypted');
    const opened = new Map((await e2ee.openAll(sealed)).map((r, i) => [sealed[i]!, r]));
    const shown = await Promise.all(list.map((m) => shownOf(m, opened.get(m))));
    return shown.filter((x) => x !== undefined);
  }

  /** One message on this device (`r`: opened already): what it shows, or undefined when not shown. */
  async function shownOf(m: ChatMessage, r?: Opened): Promise<ShownMessage | undefined> {
    if (m.recalled) {
      // Its content is gone everywhere: so is what this device kept of it.
      void e2ee.forgetOpened(m).catch(() => undefined);
      return { seq: m.seq, senderId: m.senderId, createdAt: m.createdAt, recalled: true };
    }
    if (m.content.type !== 'encrypted') return undefined;
    raw.set(m.seq, m);
    const base = { seq: m.seq, senderId: m.senderId, createdAt: m.createdAt, recalled: false };
    r ??= await e2ee.open(m);
    if (r.ok && r.identityChanged) Object.assign(trust, await e2ee.trust(m.senderId));
    // A message from the peer: they have keys now, whatever was fetched at opening.
    if (r.ok && m.senderId === chat.value?.peerId) peerReady.value = true;
    if (!r.ok) return { ...base, failure: r.reason };
    if (r.body.type === 'text') return { ...base, text: r.body.text };
    return { ...base, file: { ...r.body.file, kind: r.body.type } };
  }

  /** Puts opened messages in seq order (one list change per page, not per message). */
  function merge(shown: ShownMessage[]) {
    const seqs = new Set(shown.map((x) => x.seq));
    const list = messages.value.filter((x) => !seqs.has(x.seq)).concat(shown);
    messages.value = list.sort((a, b) => a.seq - b.seq);
    for (const x of shown) if (opensAtOnce(x.file)) void download(x.seq).catch(() => undefined);
  }

  async function show(m: ChatMessage): Promise<void> {
    if (m.conversationId !== chat.value?.id || m.content.type === 'reaction') return;
    if (messages.value.some((x) => x.seq === m.seq) && !m.recalled) return;
    const shown = await shownOf(m);
    if (!shown) return;
    merge([shown]);
    // Shown on the open page: read (the peer's receipt, the chat list's badge).
    if (m.senderId !== useSessionStore().me?.id && document.visibilityState === 'visible')
      void client.messages.markRead(m.conversationId, m.seq).catch(() => undefined);
  }

  /**
   * One page of history (the newest before `beforeSeq`): the peer's keys asked for alongside, the
   * newest screenful opened and shown first, then the rest of the page. Messages this device
   * opened before come from its kept bodies (no unwrapping): when the chat's newest message is
   * kept, the first page needs no key, and `open` asks for the peer's keys after it.
   */
  async function loadPage(beforeSeq?: number): Promise<void> {
    const c = chat.value!;
    const warm = !beforeSeq && (await e2ee.hasKept({ conversationId: c.id, seq: c.lastSeq }));
    // Asked for alongside the page (opens that need the keys share this fetch), not waited for.
    if (!warm) void e2ee.trust(c.peerId).catch(() => undefined);
    // The kept bodies' blocks are read while the page is fetched.
    const page = await e2ee.history(c, { limit: PAGE, ...(beforeSeq && { beforeSeq }) });
    const first = await shownOfAll(page.messages.slice(-FIRST_SCREEN));
    if (chat.value?.id !== c.id) return;
    merge(first);
    const shown = await shownOfAll(page.messages.slice(0, -FIRST_SCREEN));
    if (chat.value?.id !== c.id) return;
    hasMore.value = page.hasMore && page.messages.length > 0;
    merge(shown);
    const last = page.messages.at(-1);
    if (!beforeSeq && last && document.visibilityState === 'visible')
      void client.messages.markRead(c.id, last.seq).catch(() => undefined);
  }

  /** Older messages, when scrolled to the top; false when there are none or a page is loading. */
  async function loadOlder(): Promise<boolean> {
    const oldest = messages.value[0]?.seq;
    if (loadingOlder.value || !hasMore.value || !oldest) return false;
    loadingOlder.value = true;
    try {
      await loadPage(oldest);
      return true;
    } finally {
      loadingOlder.value = false;
    }
  }

  client.on('message', (m) => void show(m));
  e2ee.on('identityChanged', () => {
    trust.changed = true;
    trust.verified = false;
  });

  /** Opens (or creates) the encrypted chat with a friend, and what is in it so far. */
  async function open(peerId: string): Promise<void> {
    await refreshStatus();
    if (status.value !== 'ready') return;
    chat.value = await e2ee.openChat(peerId);
    messages.value = [];
    raw.clear();
    await loadPage();
    try {
      Object.assign(trust, await e2ee.trust(peerId));
      peerReady.value = (await e2ee.devices(peerId)).length > 0;
    } catch {
      peerReady.value = false;
    }
  }

  async function setup(passphrase: string | undefined) {
    await e2ee.setup({ ...(passphrase && { passphrase }) });
    await refreshStatus();
  }

  async function restore(passphrase: string): Promise<boolean> {
    const ok = await e2ee.restore(passphrase);
    await refreshStatus();
    return ok;
  }

  async function startOver() {
    await e2ee.setup({ replace: true });
    await refreshStatus();
  }

  async function sendText(text: string) {
    const c = chat.value!;
    await show(await e2ee.sendText({ id: c.id, peerId: c.peerId }, text));
  }

  /**
   * Sends a file, a photo (shown as a picture) or a voice clip: encrypted here before it is
   * uploaded (the SDK uploads only the ciphertext).
   */
  async function sendFile(file: Blob, name: string) {
    const c = chat.value!;
    const bytes = new Uint8Array(await file.arrayBuffer());
    const image = file.type.startsWith('image/');
    const bitmap = image ? await createImageBitmap(file).catch(() => undefined) : undefined;
    const meta = {
      name,
      mime: file.type || 'application/octet-stream',
      image: !!bitmap,
      width: bitmap?.width,
      height: bitmap?.height,
    };
    await show(await e2ee.sendFile({ id: c.id, peerId: c.peerId }, bytes, meta));
  }

  /** Downloads and decrypts a message's file into an object URL. */
  async function download(seq: number): Promise<string | undefined> {
    const m = raw.get(seq);
    const shown = messages.value.find((x) => x.seq === seq);
    if (!m || !shown?.file) return undefined;
    if (shown.file.url) return shown.file.url;
    const bytes = await e2ee.downloadFile(m, shown.file);
    const url = URL.createObjectURL(new Blob([bytes as Uint8Array<ArrayBuffer>], { type: shown.file.mime }));
    messages.value = messages.value.map((x) => (x.seq === seq ? { ...x, file: { ...x.file!, url } } : x));
    return url;
  }

  /** My devices, this one first, then by when they were added. */
  async function myDevices(): Promise<MyDevice[]> {
    const [list, mine] = await Promise.all([e2ee.devices(), e2ee.deviceId()]);
    return list
      .map((d) => ({ ...d, current: d.deviceId === mine, backup: d.deviceId === 'backup' }))
      .sort((a, b) => Number(b.current) - Number(a.current) || a.createdAt - b.createdAt);
  }

  /** Removes one of my devices; with a passphrase, the backup key is rotated under it too. */
  const removeDevice = (deviceId: string, passphrase?: string) =>
    e2ee.removeDevice(deviceId, passphrase ? { passphrase } : {});

  /**
   * A new backup, or the same backup keys under a new passphrase: `current` opens the backup
   * there is; `forgotten` starts one without the old keys.
   */
  const createBackup = (passphrase: string, opts: { current?: string; forgotten?: boolean } = {}) =>
    e2ee.createBackup(passphrase, opts);

  const safetyNumber = (peerId: string): Promise<SafetyNumber> => e2ee.safetyNumber(peerId);

  async function markVerified(peerId: string, scanned?: string): Promise<boolean> {
    const ok = await e2ee.markVerified(peerId, scanned);
    if (ok) Object.assign(trust, await e2ee.trust(peerId));
    return ok;
  }

  /** Searches the open chat on this device, newest first, a page at a time (docs/security.md, 6). */
  function searchChat(query: string, signal: AbortSignal) {
    const c = chat.value!;
    const source = {
      // Pages as the chat reads them: what this device kept opens from its kept bodies.
      page: (beforeSeq: number | undefined) =>
        e2ee.history(c, { limit: PAGE, ...(beforeSeq && { beforeSeq }) }),
      open: (list: ChatMessage[]) => e2ee.openAll(list),
    };
    return searchEncryptedChat(source, query, { signal });
  }

  /** Loads older pages until `seq` is shown (a search hit); false when it is not in the chat. */
  async function reveal(seq: number): Promise<boolean> {
    while (!messages.value.some((x) => x.seq === seq)) {
      if (!hasMore.value) return false;
      if (loadingOlder.value) await new Promise((r) => setTimeout(r, 50));
      else await loadOlder();
    }
    return true;
  }

  async function accept(peerId: string) {
    await e2ee.acceptIdentity(peerId);
    Object.assign(trust, await e2ee.trust(peerId));
  }

  return {
    status,
    chat,
    messages,
    hasMore,
    loadingOlder,
    loadOlder,
    trust,
    peerReady,
    open,
    setup,
    restore,
    startOver,
    sendText,
    sendFile,
    download,
    safetyNumber,
    myDevices,
    removeDevice,
    createBackup,
    markVerified,
    accept,
    searchChat,
    reveal,
  };
});
