import { RecordsApi, type ChatMessage } from '@mychat/sdk';
import { computed, defineAsyncComponent, reactive } from 'vue';
import { i18n, loadRecordsMessages } from '../../i18n/index.js';
import type { MenuItem } from '../../ui/ContextMenu.vue';
import { useChatStore } from '../chat/chat.store.js';
import { selection, startSelecting, togglePicked } from './selection.js';

/** The records parts of a chat (selection bar, forward and delete dialogs), loaded with their strings. */
export const RecordsLayer = defineAsyncComponent(() =>
  loadRecordsMessages().then(() => import('./RecordsLayer.vue')),
);

const PICKABLE = ['text', 'image', 'voice', 'video', 'file', 'chatRecord'];

/**
 * What the chat view needs of records, in one object: what to draw (messages not deleted or
 * cleared for me), the message-list props of select mode, and the menu entries.
 */
export function useRecordsUi(conversationId: () => string) {
  const chat = useChatStore();
  void loadRecordsMessages().catch(() => undefined);
  const conv = () => chat.conversations[conversationId()];
  return reactive({
    /** The loaded messages to draw: not deleted for me, not cleared. */
    items: computed(() => {
      const c = conv();
      const items = chat.threads[conversationId()]?.items ?? [];
      return c && (c.clearedSeq || c.hiddenSeqs?.length)
        ? items.filter((m) => RecordsApi.visible(c, m))
        : items;
    }),
    listProps: computed(() => ({
      selecting: selection.conversationId === conversationId(),
      selected: selection.picked,
    })),
    toggle: (m: ChatMessage) => void togglePicked(m),
    menuItems: (m: ChatMessage): MenuItem[] => {
      if (m.recalled || m.hidden) return [];
      const t = i18n.global.t;
      const items: MenuItem[] = [];
      if (PICKABLE.includes(m.content.type))
        items.push({ label: t('records.select'), action: () => startSelecting(conversationId(), m) });
      items.push({
        label: t('records.deleteForMe'),
        danger: true,
        action: () => {
          startSelecting(conversationId(), m);
          selection.confirmDelete = true;
        },
      });
      return items;
    },
  });
}
