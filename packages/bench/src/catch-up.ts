/** Catching up after a reconnect, as docs/protocol.md section 4.3 asks, on the client's socket. */
import type { LeanClient } from './lean-client.js';
import { parsePayload, type Owed } from './recorder.js';

/**
 * Whether a delivery that was not pushed is stored for its receiver: the message at its seq, read
 * on the receiver's socket (GetHistory), carries its index. Undefined when the receiver has no
 * open socket to ask on.
 */
export async function storedFor(client: LeanClient | undefined, o: Owed): Promise<boolean | undefined> {
  if (!client?.isOpen) return undefined;
  const page = await client.history(o.conversationId, o.seq - 1, 1);
  const m = page.messages[0];
  const text = m?.content?.body.case === 'text' ? m.content.body.value.text : '';
  return m?.seq === o.seq && parsePayload(text)?.index === o.index;
}

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
