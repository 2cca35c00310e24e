/** Catching up after a reconnect, as docs/protocol.md section 4.3 asks, on the client's socket. */
import type { LeanClient } from './lean-client.js';

/** Pulls everything after `localMax` in every conversation (Sync, then GetHistory pages). */
export async function catchUp(
  client: LeanClient,
  localMax: Map<string, number>,
  onMessage: (conversationId: string, seq: number, text: string) => void,
): Promise<{ pages: number }> {
  const sync = await client.sync(0);
  let pages = 0;
  for (const head of sync.heads) {
    let after = localMax.get(head.conversationId) ?? 0;
    while (after < head.lastSeq) {
      const page = await client.history(head.conversationId, after, 200);
      pages++;
      for (const m of page.messages) {
        const text = m.content?.body.case === 'text' ? m.content.body.value.text : '';
        onMessage(m.conversationId, m.seq, text);
        after = Math.max(after, m.seq);
      }
      if (!page.hasMore || page.messages.length === 0) break;
    }
    localMax.set(head.conversationId, after);
  }
  return { pages };
}
