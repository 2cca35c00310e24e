import { nextTick, onBeforeUnmount, ref, watch, type Ref } from 'vue';
import { useChatStore } from '../chat/chat.store.js';

/** How long an opened search hit stays marked, ms. */
const MARK_MS = 4000;

/**
 * For a chat view: when a search hit of this conversation is opened (`chat.focus`), scrolls the
 * list to it once its rows are there, again once they are measured, and marks it for a moment.
 * Returns the seq to mark.
 */
export function useHitFocus(
  conversationId: () => string,
  list: Ref<{ scrollToSeq(seq: number): boolean } | undefined>,
): Ref<number | undefined> {
  const chat = useChatStore();
  const marked = ref<number>();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const frame = () => new Promise<void>((r) => requestAnimationFrame(() => r()));

  watch(
    [() => chat.focus, conversationId, list],
    async ([f]) => {
      if (!f || f.conversationId !== conversationId() || !list.value) return;
      chat.focus = null;
      marked.value = f.seq;
      // The window around the hit may have just replaced the rows: wait for them, then scroll;
      // scroll again once the rows near it are measured (heights were estimates before).
      for (let i = 0; i < 30; i++) {
        await nextTick();
        await frame();
        if (list.value?.scrollToSeq(f.seq)) break;
      }
      for (const ms of [120, 400])
        setTimeout(() => marked.value === f.seq && list.value?.scrollToSeq(f.seq), ms);
      clearTimeout(timer);
      timer = setTimeout(() => (marked.value = undefined), MARK_MS);
    },
    { immediate: true },
  );
  onBeforeUnmount(() => clearTimeout(timer));
  return marked;
}
