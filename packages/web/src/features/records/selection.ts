import type { ChatMessage } from '@mychat/sdk';
import { reactive } from 'vue';

/** Most messages one merge-forward or one delete takes (the server's limit). */
export const MAX_SELECTED = 100;

/**
 * Multi-select in one conversation's message list (多选): which conversation is in select mode
 * and which of its messages are picked, in the order they were picked.
 */
export const selection = reactive({
  conversationId: '' as string,
  picked: new Map<number, ChatMessage>(),
  /** "Delete" chosen from a message's menu: ask at once. */
  confirmDelete: false,
});

export function startSelecting(conversationId: string, first?: ChatMessage): void {
  selection.conversationId = conversationId;
  selection.picked = new Map(first ? [[first.seq, first]] : []);
}

export function stopSelecting(): void {
  selection.conversationId = '';
  selection.picked = new Map();
  selection.confirmDelete = false;
}

/** Picks or unpicks a message; false when the cap is reached. */
export function togglePicked(m: ChatMessage): boolean {
  const next = new Map(selection.picked);
  if (next.has(m.seq)) next.delete(m.seq);
  else if (next.size >= MAX_SELECTED) return false;
  else next.set(m.seq, m);
  selection.picked = next;
  return true;
}

/** The picked messages, oldest first. */
export const pickedMessages = (): ChatMessage[] =>
  [...selection.picked.values()].sort((a, b) => a.seq - b.seq);

/**
 * The hook for favourites (收藏): a favourites feature registers what saving messages means;
 * until one does, the selection bar shows no favourite button.
 */
export const favourites = reactive<{ save?: (messages: ChatMessage[]) => Promise<void> }>({});

export function setFavouriteHandler(save: ((messages: ChatMessage[]) => Promise<void>) | undefined): void {
  favourites.save = save;
}
