import type { ChatMessage } from '@mychat/sdk';
import { defineStore } from 'pinia';
import { reactive, ref } from 'vue';
import type { MenuItem } from '../../ui/ContextMenu.vue';
import { i18n } from '../../i18n/index.js';
import { msgopsEn, msgopsZhCN } from '../../i18n/msgops.js';
import { errorText } from '../../lib/errors.js';
import { sdkClient } from '../../sdk/current-client.js';
import { useChatStore } from '../chat/chat.store.js';

i18n.global.mergeLocaleMessage('en', msgopsEn);
i18n.global.mergeLocaleMessage('zh-CN', msgopsZhCN);

/** The reactions the picker offers. */
export const QUICK_REACTIONS = ['👍', '❤️', '😂', '😮', '😢', '🙏', '🎉', '🔥'];
/** The server's default edit window (a longer or shorter one answers EDIT_WINDOW_PASSED). */
const EDIT_MS = 24 * 3600_000;
/** How long a recalled text is offered back to its sender (WeChat's 重新编辑). */
export const REEDIT_MS = 5 * 60_000;
const REEDIT_KEY = 'mychat.reedit.';

/**
 * Reactions, edits and pinned messages in the chat view: wraps client.messages.react/edit/pin
 * and keeps the open chat's thread in step with 'messageUpdated' (a reaction, an edit or a
 * recall changed a stored message).
 */
export const useMsgOpsStore = defineStore('msgops', () => {
  const client = sdkClient();
  const chat = useChatStore();
  const t = i18n.global.t;
  /** The message being edited in each conversation's composer. */
  const editing = reactive<Record<string, { seq: number; text: string }>>({});
  /** The reaction picker, open for one message at a point. */
  const picking = ref<{ m: ChatMessage; x: number; y: number } | null>(null);
  /** The pinned messages fetched per conversation, by seq. */
  const pinned = reactive<Record<string, Record<number, ChatMessage>>>({});
  const notice = ref('');
  /** The message whose report dialog is open. */
  const reporting = ref<ChatMessage | null>(null);

  client.on('messageUpdated', (m) => {
    const th = chat.threads[m.conversationId];
    const i = th?.items.findIndex((x) => x.seq === m.seq) ?? -1;
    if (!th || i < 0) return;
    const items = th.items.slice();
    items[i] = m;
    th.items = items;
    const pins = pinned[m.conversationId];
    if (pins?.[m.seq]) pins[m.seq] = m;
  });

  function flash(text: string) {
    notice.value = text;
    setTimeout(() => (notice.value = ''), 4000);
  }
  const fail = (e: unknown) => flash(errorText(e));

  /**
   * Reports the message in the open dialog to the operators (SafetyService), with a reason.
   * The console's SDK part loads only now: the chat's first download does not carry it.
   */
  async function sendReport(reason: string) {
    const m = reporting.value;
    reporting.value = null;
    if (!m) return;
    try {
      const { AdminApi } = await import('@mychat/sdk/admin');
      await new AdminApi(client).reportMessage(m.conversationId, m.seq, reason.trim());
      flash(t('msgops.reported'));
    } catch (e) {
      fail(e);
    }
  }

  /** Adds the user's reaction, or takes it off when they already have it. */
  async function toggle(m: ChatMessage, emoji: string) {
    picking.value = null;
    const mine = m.reactions?.some((r) => r.emoji === emoji && r.mine);
    try {
      if (mine) await client.messages.unreact(m.conversationId, m.seq, emoji);
      else await client.messages.react(m.conversationId, m.seq, emoji);
    } catch (e) {
      fail(e);
    }
  }

  function startEdit(m: ChatMessage) {
    if (m.content.type !== 'text') return;
    editing[m.conversationId] = { seq: m.seq, text: m.content.text };
    chat.drafts[m.conversationId] = m.content.text;
  }
  function cancelEdit(conversationId: string) {
    delete editing[conversationId];
    delete chat.drafts[conversationId];
  }
  /** Sends the composer's text as the edit of the message being edited. */
  async function saveEdit(conversationId: string, text: string) {
    const e = editing[conversationId];
    cancelEdit(conversationId);
    if (!e || text === e.text) return;
    try {
      await client.messages.edit(conversationId, e.seq, text);
    } catch (err) {
      fail(err);
    }
  }

  async function setPin(m: ChatMessage, pin: boolean) {
    try {
      if (pin) await client.messages.pin(m.conversationId, m.seq);
      else await client.messages.unpin(m.conversationId, m.seq);
      (pinned[m.conversationId] ??= {})[m.seq] = m;
    } catch (e) {
      fail(e);
    }
  }
  /** The pinned messages of a conversation not loaded yet (the bar shows their text). */
  async function loadPinned(conversationId: string) {
    try {
      const list = await client.messages.pinned(conversationId);
      const map = (pinned[conversationId] ??= {});
      for (const m of list) map[m.seq] = m;
    } catch {
      /* the bar shows what it has */
    }
  }

  /** One's own text, kept on this device for 5 minutes before it is recalled, to re-edit. */
  function keepForReEdit(conversationId: string, seq: number) {
    const m = chat.threads[conversationId]?.items.find((x) => x.seq === seq);
    if (m?.content.type !== 'text') return;
    const until = Date.now() + REEDIT_MS;
    localStorage.setItem(
      `${REEDIT_KEY}${conversationId}.${seq}`,
      JSON.stringify({ text: m.content.text, until }),
    );
  }
  /** The kept text of a recalled message and until when, if still offered. */
  function reEditable(conversationId: string, seq: number): { text: string; until: number } | undefined {
    const key = `${REEDIT_KEY}${conversationId}.${seq}`;
    try {
      const v = JSON.parse(localStorage.getItem(key) ?? 'null') as { text: string; until: number } | null;
      if (v && v.until > Date.now()) return v;
    } catch {
      /* unreadable: forget it */
    }
    localStorage.removeItem(key);
    return undefined;
  }
  function reEdit(conversationId: string, seq: number) {
    const v = reEditable(conversationId, seq);
    if (v) chat.drafts[conversationId] = v.text;
  }

  /**
   * The actions of a message's menu: react, edit (one's own text, within a day), pin or unpin,
   * report (someone else's).
   */
  function menuItems(m: ChatMessage, mine: boolean, canPin: boolean, x: number, y: number): MenuItem[] {
    if (m.recalled || !['text', 'image', 'voice', 'video', 'file'].includes(m.content.type)) return [];
    const items: MenuItem[] = [{ label: t('msgops.react'), action: () => (picking.value = { m, x, y }) }];
    if (mine && m.content.type === 'text' && Date.now() - m.createdAt < EDIT_MS)
      items.push({ label: t('msgops.edit'), action: () => startEdit(m) });
    const isPinned = chat.conversations[m.conversationId]?.pinnedSeqs?.includes(m.seq) ?? false;
    if (canPin)
      items.push({
        label: t(isPinned ? 'msgops.unpin' : 'msgops.pin'),
        action: () => void setPin(m, !isPinned),
      });
    if (!mine) items.push({ label: t('msgops.report'), action: () => (reporting.value = m) });
    return items;
  }

  return {
    editing,
    picking,
    pinned,
    notice,
    reporting,
    sendReport,
    toggle,
    startEdit,
    cancelEdit,
    saveEdit,
    setPin,
    loadPinned,
    keepForReEdit,
    reEditable,
    reEdit,
    menuItems,
  };
});
