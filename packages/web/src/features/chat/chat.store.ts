import type { ChatMessage, Conversation, SendOptions, SendState } from '@mychat/sdk';
import { defineStore } from 'pinia';
import { computed, reactive, ref, shallowReactive } from 'vue';
import { sdkClient } from '../../sdk/current-client.js';
import { useContactsStore } from '../contacts/contacts.store.js';
import { useSessionStore } from '../auth/session.store.js';
import { useSettingsStore } from '../me/settings.store.js';
import { errorText } from '../../lib/errors.js';
import { notificationText } from './preview.js';
import { isQuiet } from '../msgops/texts.js';
import {
  closeConversationNotifications,
  conversationTag,
  showPageNotification,
} from '../../lib/notifications.js';
import { i18n } from '../../i18n/index.js';
import { threadWindows, type Focus, type Thread } from './chat.window.js';

export type { Focus, Thread } from './chat.window.js';

/** A message of one's own that the server has not stored yet (or refused). */
export interface PendingMessage {
  clientMsgId: string;
  conversationId: string;
  text: string;
  replyToSeq: number;
  mentionUserIds: string[];
  mentionAll: boolean;
  createdAt: number;
  state: 'pending' | 'failed';
  error?: string;
}

/**
 * The loaded part of one conversation: a window of its newest messages, grown on scroll up; or,
 * after a jump to an older message (a search hit), a window around it, grown both ways until it
 * meets the newest (`hasNewer` false again).
 */
const PAGE = 50;
const TYPING_MS = 5_000;

/** Conversations, messages, sending and receipts: wraps client.messages and the chat events. */
export const useChatStore = defineStore('chat', () => {
  const client = sdkClient();
  const conversations = reactive<Record<string, Conversation>>({});
  // Message arrays are replaced, never mutated, and not deeply reactive: 10 000 messages stay cheap.
  const threads = shallowReactive<Record<string, Thread>>({});
  const pending = reactive<Record<string, PendingMessage[]>>({});
  const typing = reactive<Record<string, Record<string, number>>>({});
  const drafts = reactive<Record<string, string>>({});
  const activeId = ref<string | null>(null);
  const ready = ref(false);
  const focus = ref<Focus | null>(null);

  const myId = () => useSessionStore().me?.id ?? '';

  const sorted = computed(() => {
    const at = (c: Conversation) => c.lastMessage?.createdAt ?? 0;
    return Object.values(conversations).sort(
      (a, b) => Number(b.pinned) - Number(a.pinned) || at(b) - at(a) || b.lastSeq - a.lastSeq,
    );
  });
  const totalUnread = computed(() =>
    Object.values(conversations).reduce((n, c) => n + (c.muted ? 0 : c.unreadCount), 0),
  );

  function thread(id: string): Thread {
    let t = threads[id];
    if (!t) threads[id] = t = shallowReactive({ items: [], hasMore: true, loading: false, loaded: false });
    return t;
  }

  /** Merges messages into a thread by seq (replacing same-seq ones). */
  function merge(t: Thread, msgs: ChatMessage[]) {
    if (!msgs.length) return;
    const items = t.items;
    const last = items[items.length - 1];
    const sortedIn = [...msgs].sort((a, b) => a.seq - b.seq);
    if (!last || sortedIn[0]!.seq > last.seq) {
      t.items = items.concat(sortedIn);
      return;
    }
    const bySeq = new Map(items.map((m) => [m.seq, m]));
    for (const m of sortedIn) bySeq.set(m.seq, m);
    t.items = [...bySeq.values()].sort((a, b) => a.seq - b.seq);
  }

  function recallIn(t: Thread, seq: number) {
    const i = t.items.findIndex((m) => m.seq === seq);
    if (i < 0) return;
    const copy = t.items.slice();
    copy[i] = { ...copy[i]!, recalled: true, content: { type: 'empty' } };
    t.items = copy;
  }

  /** Loads the stored conversations (IndexedDB: at once, before the socket is up) and pending sends. */
  async function init() {
    for (const c of await client.messages.conversations()) conversations[c.id] = c;
    for (const e of await client.messages.pending()) {
      if (e.content.type !== 'text') continue;
      addPending({ ...e, text: e.content.text, state: 'pending' });
    }
    ready.value = true;
    void useContactsStore().ensureUsers(Object.values(conversations).map((c) => c.peerId));
    // Drafts live on the server too (features/records/drafts-sync.ts), loaded apart from the chat.
    void import('../records/drafts-sync.js').then((m) =>
      m.startDraftSync(client, drafts, () => Object.values(conversations)),
    );
  }

  function addPending(p: PendingMessage) {
    const list = (pending[p.conversationId] ??= []);
    if (!list.some((x) => x.clientMsgId === p.clientMsgId)) list.push(p);
  }
  function dropPending(conversationId: string, clientMsgId: string) {
    const list = pending[conversationId];
    if (!list) return;
    const i = list.findIndex((x) => x.clientMsgId === clientMsgId);
    if (i >= 0) list.splice(i, 1);
  }

  client.on('conversation', (c) => {
    conversations[c.id] = c;
    if (c.type === 'direct') void useContactsStore().ensureUsers([c.peerId]);
  });

  client.on('message', (m, { source }) => {
    const t = threads[m.conversationId];
    // A window around an older message takes new ones only once it reaches the newest.
    if (t?.loaded && !t.hasNewer) merge(t, [m]);
    if (m.content.type === 'recall' && t) recallIn(t, m.content.seq);
    const mine = m.senderId === myId();
    if (mine) dropPending(m.conversationId, m.clientMsgId);
    else if (typing[m.conversationId]) delete typing[m.conversationId]![m.senderId];
    if (!mine && source === 'push' && !isQuiet(m)) notify(m);
    if (!mine && m.conversationId === activeId.value) scheduleRead(m.conversationId);
  });

  client.on('sendState', (e) => {
    if (e.state !== 'failed') return;
    const p = pending[e.conversationId]?.find((x) => x.clientMsgId === e.clientMsgId);
    if (p) {
      p.state = 'failed';
      p.error = e.error ? errorText(e.error) : '';
    }
  });

  client.on('typing', (e) => {
    if (e.userId === myId()) return;
    (typing[e.conversationId] ??= {})[e.userId] = Date.now() + TYPING_MS;
    setTimeout(expireTyping, TYPING_MS + 50);
  });
  function expireTyping() {
    const now = Date.now();
    for (const [conv, who] of Object.entries(typing))
      for (const [u, until] of Object.entries(who)) if (until <= now) delete typing[conv]![u];
  }

  /** Who is typing in a conversation now. */
  function typingIn(conversationId: string): string[] {
    return Object.keys(typing[conversationId] ?? {});
  }

  /** Opens a conversation: the newest page from the store (instant), else from the server. */
  async function open(conversationId: string) {
    activeId.value = conversationId;
    const t = thread(conversationId);
    if (!t.loaded && !t.loading) {
      t.loading = true;
      try {
        const page = await client.messages.history(conversationId, { limit: PAGE });
        merge(t, page.messages);
        t.hasMore = page.hasMore;
        t.loaded = true;
      } finally {
        t.loading = false;
      }
    }
    if (!conversations[conversationId]) {
      try {
        conversations[conversationId] = await client.messages.conversation(conversationId);
      } catch {
        /* not ours (anymore): the view shows it empty */
      }
    }
    scheduleRead(conversationId);
  }

  function close(conversationId: string) {
    if (activeId.value === conversationId) activeId.value = null;
  }

  /** Loads the page before the oldest loaded message; resolves false when there is no more. */
  async function loadOlder(conversationId: string): Promise<boolean> {
    const t = thread(conversationId);
    if (t.loading || !t.hasMore) return false;
    const oldest = t.items[0]?.seq;
    if (oldest === undefined) return false;
    t.loading = true;
    try {
      const page = await client.messages.history(conversationId, { beforeSeq: oldest, limit: PAGE });
      merge(t, page.messages);
      t.hasMore = page.hasMore && page.messages.length > 0;
      return page.messages.length > 0;
    } finally {
      t.loading = false;
    }
  }

  // Opening a search hit: a window around an older message (chat.window.ts).
  const { openAt, loadNewer, latest } = threadWindows({
    client,
    conversations,
    thread,
    merge,
    open,
    focus,
    page: PAGE,
  });

  function send(conversationId: string, text: string, opts: SendOptions = {}) {
    const p: PendingMessage = {
      clientMsgId: opts.clientMsgId ?? crypto.randomUUID().replace(/-/g, ''),
      conversationId,
      text,
      replyToSeq: opts.replyToSeq ?? 0,
      mentionUserIds: opts.mentionUserIds ?? [],
      mentionAll: opts.mentionAll ?? false,
      createdAt: Date.now(),
      state: 'pending',
    };
    addPending(p);
    delete drafts[conversationId];
    client.messages
      .sendText(conversationId, text, { ...opts, clientMsgId: p.clientMsgId })
      .catch(() => undefined); // a refusal arrives as sendState 'failed'
  }

  /** Sends a failed message again (a new attempt: the server refused the old one for good). */
  function retry(p: PendingMessage) {
    dropPending(p.conversationId, p.clientMsgId);
    send(p.conversationId, p.text, {
      replyToSeq: p.replyToSeq,
      mentionUserIds: p.mentionUserIds,
      mentionAll: p.mentionAll,
    });
  }

  async function recall(conversationId: string, seq: number) {
    await client.messages.recall(conversationId, seq);
  }

  /** Where one's own stored message stands, from the peer's cursors (1:1) or just "sent" (groups). */
  function stateOf(m: ChatMessage): SendState {
    const c = conversations[m.conversationId];
    if (!c || c.type !== 'direct') return 'sent';
    if (c.peerReadSeq >= m.seq) return 'read';
    if (c.peerDeliveredSeq >= m.seq) return 'delivered';
    return 'sent';
  }

  const readTimers = new Map<string, ReturnType<typeof setTimeout>>();
  /** Marks the open conversation read, shortly after messages arrive, while the page is visible. */
  function scheduleRead(conversationId: string) {
    if (readTimers.has(conversationId)) return;
    readTimers.set(
      conversationId,
      setTimeout(() => {
        readTimers.delete(conversationId);
        void markRead(conversationId);
      }, 150),
    );
  }
  async function markRead(conversationId: string) {
    const c = conversations[conversationId];
    if (!c || activeId.value !== conversationId || document.visibilityState !== 'visible') return;
    if (c.readSeq >= c.lastSeq && !c.unreadCount) return;
    void closeConversationNotifications(conversationId);
    try {
      await client.messages.markRead(conversationId, c.lastSeq);
    } catch {
      /* retried on the next message or visit */
    }
  }
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible' && activeId.value) scheduleRead(activeId.value);
  });

  /** Tells the others "typing…" (the SDK sends at most one every 3 s). */
  function typingPing(conversationId: string) {
    client.messages.typing(conversationId).catch(() => undefined);
  }

  /** What a conversation is called: the group's name, the other person's, or "File transfer". */
  function title(c: Conversation): string {
    const t = i18n.global.t;
    if (c.type === 'self') return t('fileTransfer.title');
    if (c.type === 'group') return c.name;
    return useContactsStore().nameOf(c.peerId) || t('common.unknownUser');
  }

  /** The user's own "File transfer" conversation (created on first use); resolves with its id. */
  async function fileTransfer(): Promise<string> {
    const c = await client.messages.fileTransferConversation();
    conversations[c.id] = c;
    return c.id;
  }

  async function setSettings(conversationId: string, s: { muted?: boolean; pinned?: boolean }) {
    conversations[conversationId] = await client.messages.setConversationSettings(conversationId, s);
  }

  function notify(m: ChatMessage) {
    const settings = useSettingsStore();
    const c = conversations[m.conversationId];
    if (!settings.notifications || !document.hidden || c?.muted) return;
    if (typeof Notification === 'undefined' || Notification.permission !== 'granted') return;
    const { title, body } = notificationText(m, c, useContactsStore().nameOf, myId());
    void showPageNotification(title || 'MyChat', {
      body,
      tag: conversationTag(m.conversationId),
      onClick: () => {
        window.focus();
        window.dispatchEvent(new CustomEvent('mychat:open', { detail: m.conversationId }));
      },
    });
  }

  return {
    conversations,
    threads,
    pending,
    typing,
    drafts,
    activeId,
    ready,
    focus,
    sorted,
    totalUnread,
    thread,
    init,
    open,
    close,
    loadOlder,
    openAt,
    loadNewer,
    latest,
    send,
    retry,
    recall,
    stateOf,
    typingIn,
    typingPing,
    setSettings,
    fileTransfer,
    title,
  };
});
