import { create } from '@bufbuild/protobuf';
import { message as pb } from '@mychat/protocol';
import { createIdGenerator } from '../../kernel/ids.js';
import type { MessageRow } from './message.tables.js';
import { encodeContent } from './message.views.js';
import type { MessageStore } from './store/message-store.js';

/** What `mychat bench-seed --messages=N` writes into the message store. */
export interface MessageSeedPlan {
  messages: number;
  /** Where they go, in turn; each message's sender is the next of its conversation's senders. */
  conversations: readonly { id: string; senderIds: readonly string[] }[];
  /** The newest message's time, epoch ms; the others go back `stepMs` each. */
  endAt: number;
  stepMs: number;
  /** The node id the ids are made with (unique among the processes writing messages). */
  nodeId: number;
  /** The text of message i. */
  text(i: number): string;
}

/** Messages per transaction. */
const PER_TX = 4_000;

/**
 * Writes `messages` text messages straight into the message store through its own send
 * path in bulk (`groupCommit` + `storeNew`: seqs reserved per conversation, rows inserted,
 * senders' read cursors moved), oldest first, with ids and times going back from `endAt` so
 * that they read as history (sending a million messages over the WebSocket takes long and
 * measures nothing the search benchmark asks). Nobody is told: no push, no pts. For
 * benchmarks only: the caller checks `bench.seed`.
 */
export async function seedMessages(
  store: MessageStore,
  plan: MessageSeedPlan,
): Promise<{ messages: number }> {
  if (plan.conversations.length === 0 || plan.conversations.some((c) => c.senderIds.length === 0))
    throw new Error('the message seed needs conversations with senders');
  let at = plan.endAt - plan.messages * plan.stepMs;
  const ids = createIdGenerator(plan.nodeId, () => at);
  const turns = new Map<string, number>();
  for (let from = 0; from < plan.messages; from += PER_TX) {
    const rows: MessageRow[] = [];
    for (let i = from; i < Math.min(plan.messages, from + PER_TX); i++) {
      at += plan.stepMs;
      const conv = plan.conversations[i % plan.conversations.length]!;
      const turn = turns.get(conv.id) ?? 0;
      turns.set(conv.id, turn + 1);
      rows.push({
        convId: conv.id,
        seq: 0,
        id: ids.next(),
        senderId: conv.senderIds[turn % conv.senderIds.length]!,
        clientMsgId: `seed-${i}`,
        type: pb.MessageType.TEXT,
        content: encodeContent(
          create(pb.MessageContentSchema, { body: { case: 'text', value: { text: plan.text(i) } } }),
        ),
        replyToSeq: 0,
        mentions: [],
        mentionAll: false,
        createdAt: at,
        recalledAt: null,
      });
    }
    const newest = rows[rows.length - 1]!.createdAt;
    await store.groupCommit((tx) => store.storeNew(tx, rows, newest));
  }
  return { messages: plan.messages };
}
