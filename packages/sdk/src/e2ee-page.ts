/** A page of an encrypted chat's history for this device (E2ee.history). */
import type { MyChatClient } from './client.js';
import type { OpenedCache } from './e2ee-cache.js';
import { sealedFromRecord } from './e2ee-cache-format.js';
import type { LocalKeys } from './e2ee-keys.js';
import { isElided } from './mappers.js';
import type { ChatMessage } from './types.js';

/** Which page: the newest `limit` (default 50, at most 200) before `beforeSeq` (default: the newest). */
export interface PageOptions {
  beforeSeq?: number;
  limit?: number;
}

type Page = { messages: ChatMessage[]; hasMore: boolean };

/**
 * The bodies of the messages a page made whole from their records, by message (the objects the
 * page returned): `openAll` takes them from here, their records already matched.
 */
const restored = new WeakMap<OpenedCache, WeakMap<ChatMessage, Uint8Array>>();
export function restoredOf(opened: OpenedCache): WeakMap<ChatMessage, Uint8Array> {
  let bodies = restored.get(opened);
  if (!bodies) restored.set(opened, (bodies = new WeakMap()));
  return bodies;
}

/**
 * The page, for the device whose keys and kept bodies `me` holds. The run of seqs of the page
 * this device kept opened (the local index says which before the page is asked for) is asked
 * for without its sealed bytes (GetHistoryRequest.e2ee_kept), and the blocks of those bodies
 * are read and decrypted while the page is fetched. Each message that came without them is
 * made whole again from its kept record (sealedFromRecord: the same bytes the server would
 * have sent, checked against the record's binding); the chat store keeps it without them. When
 * any cannot be (its block missing, damaged, or another message's), the page is asked for again
 * without the option (the chat store's copies without the bytes then count as holes).
 */
export async function historyPage(
  client: MyChatClient,
  me: { userId: string; keys: LocalKeys; opened?: OpenedCache },
  chat: { id: string; lastSeq?: number },
  opts: PageOptions,
): Promise<Page> {
  const limit = Math.min(200, Math.max(1, opts.limit ?? 50));
  const ask = (e2eeKept?: { fromSeq: number; toSeq: number }) =>
    client.messages.history(chat.id, { ...opts, limit, ...(e2eeKept && { e2eeKept }) });
  const { opened } = me;
  const own = opened && (await me.keys.own());
  const top = opts.beforeSeq
    ? opts.beforeSeq - 1
    : chat.lastSeq || (await client.store.getConversation(chat.id))?.lastSeq;
  const run = own && top ? await opened.keptRun(chat.id, top, limit) : undefined;
  if (!run || !own) return ask();
  void opened.preload(chat.id, run.fromSeq, run.toSeq);
  const page = await ask(run);
  const at = page.messages.flatMap((m, i) => (isElided(m) ? [i] : []));
  if (!at.length) return page;
  const records = await opened.records(at.map((i) => page.messages[i]!));
  const whole = at.map((i, j) => {
    const m = page.messages[i]!;
    const r = records[j];
    const sealed = r && m.content.type === 'encrypted' && sealedFromRecord(r, m, m.content.sealed);
    return sealed ? { ...m, content: { type: 'encrypted' as const, sealed } } : undefined;
  });
  if (whole.some((m) => !m)) return ask();
  const bodies = restoredOf(opened);
  at.forEach((i, j) => {
    page.messages[i] = whole[j]!;
    bodies.set(whole[j]!, records[j]!.body);
  });
  // The chat store keeps them as they came (messages.history): the sealed bytes stay in the records.
  return page;
}
