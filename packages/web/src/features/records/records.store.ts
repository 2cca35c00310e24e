import type { ChatFileHit, ChatMessage, Conversation } from '@mychat/sdk';
import { defineStore } from 'pinia';
import { sdkClient } from '../../sdk/current-client.js';
import { useChatStore } from '../chat/chat.store.js';

/** Merge-forward, delete for me, clear history and a chat's files: wraps client.records and search. */
export const useRecordsStore = defineStore('records', () => {
  const client = sdkClient();
  const chat = useChatStore();
  const keep = (c: Conversation) => {
    chat.conversations[c.id] = c;
  };

  /** Sends the picked messages of `from` to `to` as one chat record, then the note. */
  async function forward(to: string, from: string, picked: ChatMessage[], title: string, note: string) {
    await client.records.forwardAsRecord(
      to,
      from,
      picked.map((m) => m.seq),
      { title, note },
    );
  }

  async function hide(conversationId: string, picked: ChatMessage[]) {
    keep(
      await client.records.hideMessages(
        conversationId,
        picked.map((m) => m.seq),
      ),
    );
  }

  async function clear(conversationId: string) {
    keep(await client.records.clearHistory(conversationId));
  }

  /** The newest images, videos and files of one chat (what its info panel shows). */
  async function files(conversationId: string, limit = 12): Promise<ChatFileHit[]> {
    const pages = await Promise.all(
      (['image', 'video', 'file'] as const).map((kind) =>
        client.search.files('', { kind, conversationId, limit }),
      ),
    );
    return pages.flatMap((p) => p.chatFiles);
  }

  return { forward, hide, clear, files };
});
