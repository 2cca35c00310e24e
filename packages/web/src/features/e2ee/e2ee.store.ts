import type { ChatMessage, Conversation } from '@mychat/sdk';
import {
  E2ee,
  type E2eeStatus,
  type OpenFailure,
  type SafetyNumber,
  type SealedFileInfo,
} from '@mychat/sdk/e2ee';
import { defineStore } from 'pinia';
import { reactive, ref, shallowRef } from 'vue';
import { sdkClient } from '../../sdk/current-client.js';
import { IdbKeyStore } from '../../sdk/e2ee-key-store.js';
import { useSessionStore } from '../auth/session.store.js';

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

  async function refreshStatus() {
    status.value = await e2ee.status();
  }

  async function show(m: ChatMessage): Promise<void> {
    if (m.conversationId !== chat.value?.id || m.content.type === 'reaction') return;
    if (messages.value.some((x) => x.seq === m.seq) && !m.recalled) return;
    raw.set(m.seq, m);
    const base = { seq: m.seq, senderId: m.senderId, createdAt: m.createdAt, recalled: m.recalled };
    let shown: ShownMessage = base;
    if (!m.recalled && m.content.type === 'encrypted') {
      const r = await e2ee.open(m);
      if (!r.ok) shown = { ...base, failure: r.reason };
      else if (r.body.type === 'text') shown = { ...base, text: r.body.text };
      else shown = { ...base, file: { ...r.body.file, kind: r.body.type } };
      if (r.ok && r.identityChanged) Object.assign(trust, await e2ee.trust(m.senderId));
      // A message from the peer: they have keys now, whatever was fetched at opening.
      if (r.ok && m.senderId === chat.value?.peerId) peerReady.value = true;
    }
    if (!m.recalled && m.content.type !== 'encrypted') return;
    const list = messages.value.filter((x) => x.seq !== m.seq);
    list.push(shown);
    messages.value = list.sort((a, b) => a.seq - b.seq);
    // Shown on the open page: read (the peer's receipt, the chat list's badge).
    if (m.senderId !== useSessionStore().me?.id && document.visibilityState === 'visible')
      void client.messages.markRead(m.conversationId, m.seq).catch(() => undefined);
    if (shown.file?.kind === 'image') void download(shown.seq);
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
    const page = await client.messages.history(chat.value.id, { limit: 50 });
    for (const m of page.messages) await show(m);
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

  async function sendPhoto(file: File) {
    const c = chat.value!;
    const bytes = new Uint8Array(await file.arrayBuffer());
    const bitmap = await createImageBitmap(file).catch(() => undefined);
    const meta = {
      name: file.name,
      mime: file.type,
      image: true,
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

  const safetyNumber = (peerId: string): Promise<SafetyNumber> => e2ee.safetyNumber(peerId);

  async function markVerified(peerId: string, scanned?: string): Promise<boolean> {
    const ok = await e2ee.markVerified(peerId, scanned);
    if (ok) Object.assign(trust, await e2ee.trust(peerId));
    return ok;
  }

  async function accept(peerId: string) {
    await e2ee.acceptIdentity(peerId);
    Object.assign(trust, await e2ee.trust(peerId));
  }

  return {
    status,
    chat,
    messages,
    trust,
    peerReady,
    open,
    setup,
    restore,
    startOver,
    sendText,
    sendPhoto,
    download,
    safetyNumber,
    markVerified,
    accept,
  };
});
