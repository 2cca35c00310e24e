/** A page of an encrypted chat's history for this device (E2ee.history). */
import type { MyChatClient } from './client.js';
import type { OpenedCache } from './e2ee-cache.js';
import type { ChatMessage } from './types.js';

/** Which page: the newest `limit` (default 50, at most 200) before `beforeSeq` (default: the newest). */
export interface PageOptions {
  beforeSeq?: number;
  limit?: number;
}

/**
 * The page, with the blocks of the bodies this device kept of it read and decrypted while it
 * is fetched (the local index says which before the page arrives), so that opening them after
 * overlaps the network wait instead of following it.
 */
export async function historyPage(
  client: MyChatClient,
  opened: OpenedCache | undefined,
  chat: { id: string; lastSeq?: number },
  opts: PageOptions,
): Promise<{ messages: ChatMessage[]; hasMore: boolean }> {
  const limit = Math.min(200, Math.max(1, opts.limit ?? 50));
  const top = opts.beforeSeq
    ? opts.beforeSeq - 1
    : (chat.lastSeq ?? (await client.store.getConversation(chat.id))?.lastSeq);
  const run = opened && top ? await opened.keptRun(chat.id, top, limit) : undefined;
  if (run) void opened!.preload(chat.id, run.fromSeq, run.toSeq);
  return client.messages.history(chat.id, { ...opts, limit });
}
