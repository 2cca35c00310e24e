/** Public RPCs over Connect with binary protobuf (docs/protocol.md section 1), for catching up. */
import { create, fromBinary, toBinary, type DescMessage, type MessageInitShape } from '@bufbuild/protobuf';
import { message } from '@mychat/protocol';

async function call<I extends DescMessage, O extends DescMessage>(
  url: string,
  token: string,
  method: string,
  input: I,
  output: O,
  req: MessageInitShape<I>,
): Promise<ReturnType<typeof fromBinary<O>>> {
  const res = await fetch(`${url}/${message.MessageService.typeName}/${method}`, {
    method: 'POST',
    headers: { 'content-type': 'application/proto', authorization: `Bearer ${token}` },
    body: toBinary(input, create(input, req)),
  });
  const body = new Uint8Array(await res.arrayBuffer());
  if (!res.ok)
    throw new Error(`${method}: HTTP ${res.status} ${new TextDecoder().decode(body).slice(0, 200)}`);
  return fromBinary(output, body);
}

/** Pulls everything after `localMax` in every conversation (Sync, then GetHistory pages). */
export async function catchUp(
  url: string,
  token: string,
  localMax: Map<string, number>,
  onMessage: (conversationId: string, seq: number, text: string) => void,
): Promise<{ pages: number }> {
  const sync = await call(url, token, 'Sync', message.SyncRequestSchema, message.SyncResponseSchema, {
    sincePts: 0,
  });
  let pages = 0;
  for (const head of sync.heads) {
    let after = localMax.get(head.conversationId) ?? 0;
    while (after < head.lastSeq) {
      const page = await call(
        url,
        token,
        'GetHistory',
        message.GetHistoryRequestSchema,
        message.GetHistoryResponseSchema,
        { conversationId: head.conversationId, afterSeq: after, limit: 200 },
      );
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
