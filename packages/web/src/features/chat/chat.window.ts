import type { ChatMessage, Conversation, MyChatClient } from '@mychat/sdk';
import type { Ref } from 'vue';

/** One conversation's loaded messages in the chat store. */
export interface Thread {
  items: ChatMessage[];
  hasMore: boolean;
  loading: boolean;
  loaded: boolean;
  /** Newer messages exist beyond the window (it was opened around an older message). */
  hasNewer?: boolean;
}

/** A message to bring into view and mark for a moment (opening a search hit). */
export interface Focus {
  conversationId: string;
  seq: number;
}

/**
 * The chat store's windows around an older message (opening a search hit): the thread becomes
 * the messages around it, grows towards the newest as the reader scrolls down, and goes back to
 * the newest page on "jump to latest" or a send. Works on the store's own state.
 */
export function threadWindows(d: {
  client: MyChatClient;
  conversations: Record<string, Conversation>;
  thread(id: string): Thread;
  merge(t: Thread, msgs: ChatMessage[]): void;
  open(id: string): Promise<void>;
  focus: Ref<Focus | null>;
  page: number;
}) {
  const { client, conversations, thread, merge, open, focus } = d;
  const PAGE = d.page;
  /**
   * Shows `seq` of a conversation (a search hit): when it is not loaded, the thread becomes the
   * window around it (PAGE messages, half on each side), then `focus` names it for the view.
   */
  async function openAt(conversationId: string, seq: number) {
    const t = thread(conversationId);
    const have = t.loaded && t.items.length > 0 && t.items[0]!.seq <= seq && seq <= t.items.at(-1)!.seq;
    if (!have) {
      t.loading = true;
      try {
        const page = await client.messages.history(conversationId, {
          beforeSeq: seq + PAGE / 2 + 1,
          limit: PAGE,
        });
        t.items = [...page.messages].sort((a, b) => a.seq - b.seq);
        t.hasMore = page.hasMore;
        t.hasNewer = (t.items.at(-1)?.seq ?? 0) < (conversations[conversationId]?.lastSeq ?? 0);
        t.loaded = true;
      } finally {
        t.loading = false;
      }
    }
    focus.value = { conversationId, seq };
  }

  /** Grows a window opened around an older message towards the newest; false when there is no more. */
  async function loadNewer(conversationId: string): Promise<boolean> {
    const t = thread(conversationId);
    const newest = t.items.at(-1)?.seq;
    if (t.loading || !t.hasNewer || newest === undefined) return false;
    t.loading = true;
    try {
      const page = await client.messages.history(conversationId, {
        beforeSeq: newest + PAGE + 1,
        limit: PAGE,
      });
      merge(
        t,
        page.messages.filter((m) => m.seq > newest),
      );
      t.hasNewer = (t.items.at(-1)?.seq ?? 0) < (conversations[conversationId]?.lastSeq ?? 0);
      return page.messages.some((m) => m.seq > newest);
    } finally {
      t.loading = false;
    }
  }

  /** Back to the newest page (leaving a window opened around an older message). */
  async function latest(conversationId: string) {
    const t = thread(conversationId);
    if (!t.hasNewer) return;
    t.loaded = false;
    t.hasNewer = false;
    t.items = [];
    t.hasMore = true;
    await open(conversationId);
  }

  return { openAt, loadNewer, latest };
}
