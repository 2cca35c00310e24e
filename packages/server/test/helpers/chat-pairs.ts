import { createClient } from '@connectrpc/connect';
import { createGrpcTransport } from '@connectrpc/connect-node';
import { message } from '@mychat/protocol';
import { MyChatClient, type ChatMessage } from '@mychat/sdk';
import { expect } from 'vitest';
import { WebSocket } from 'ws';
import { Meta } from '../../src/rpc/call-context.js';
import { PASSWORD } from './auth-helpers.js';

/** One person of a pair, and what their device saw. */
export interface Side {
  client: MyChatClient;
  id: string;
  /** Every message event of the pair's conversation, in the order the SDK emitted them. */
  seen: ChatMessage[];
  acked: ChatMessage[];
  /** When each ack arrived (Date.now()), in the order of `acked`. */
  ackedAt: number[];
  /** Sends that failed for good (the outage outlasted the SDK's retries). */
  failed: string[];
}

export interface Pair {
  a: Side;
  b: Side;
  conv: string;
}

let serial = 0;

/** Runs `fn` over `items`, `limit` at a time. */
export async function inBatches<T, R>(
  items: readonly T[],
  limit: number,
  fn: (t: T, i: number) => Promise<R>,
) {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]!, i);
      }
    }),
  );
  return out;
}

/**
 * `count` pairs of friends, each person with one SDK device: side a on `urlA`, side b on
 * `urlB` (the entry, or one gateway). Not connected yet.
 */
export async function makePairs(o: {
  count: number;
  codeFor(email: string): Promise<string>;
  urlA: string;
  urlB: string;
  concurrency?: number;
}): Promise<Pair[]> {
  const tag = `${process.pid}-${Date.now().toString(36)}-${++serial}`;
  const signUp = async (i: number, side: 'a' | 'b'): Promise<Side> => {
    const email = `pair-${tag}-${i}${side}@example.com`;
    const client = new MyChatClient({
      baseUrl: side === 'a' ? o.urlA : o.urlB,
      device: { clientType: 'bot', deviceId: `${side}${i}`, name: 'fault test' },
      WebSocket: WebSocket as never,
      reconnect: { baseMs: 100, capMs: 1_000 },
      // A loaded CI machine can take seconds per call; the server's deadline is raised alike.
      ackTimeoutMs: 20_000,
    });
    await client.auth.sendCode({ email }, 'register');
    const me = await client.auth.register({
      to: { email },
      code: await o.codeFor(email),
      password: PASSWORD,
      nickname: `${side}${i}`,
    });
    return { client, id: me.id, seen: [], acked: [], ackedAt: [], failed: [] };
  };
  return inBatches(
    Array.from({ length: o.count }, (_, i) => i),
    o.concurrency ?? 10,
    async (i) => {
      // Setting up is not what these tests test: a pair whose setup hit a timeout on a busy
      // machine is dropped and made again with new people.
      for (let attempt = 0; ; attempt++) {
        const made: Side[] = [];
        try {
          const a = await signUp(i * 10 + attempt, 'a');
          made.push(a);
          const b = await signUp(i * 10 + attempt, 'b');
          made.push(b);
          const { request } = await a.client.contacts.request(b.id);
          const conv = (await b.client.contacts.respond(request.id, 'accept')).conversationId!;
          for (const s of [a, b]) s.client.on('message', (m) => m.conversationId === conv && s.seen.push(m));
          return { a, b, conv };
        } catch (err) {
          await Promise.all(made.map((s) => s.client.close()));
          if (attempt >= 2) throw err;
        }
      }
    },
  );
}

/** Sends `n` texts from one side, `everyMs` apart; resolves when each is acked or failed for good. */
export async function sendSeries(side: Side, conv: string, n: number, everyMs: number, label: string) {
  const sends: Promise<void>[] = [];
  for (let i = 0; i < n; i++) {
    const text = `${label} ${side.id} #${i}`;
    sends.push(
      side.client.messages.sendText(conv, text).then(
        (m) => {
          side.acked.push(m);
          side.ackedAt.push(Date.now());
        },
        () => void side.failed.push(text),
      ),
    );
    if (everyMs) await new Promise((r) => setTimeout(r, everyMs));
  }
  await Promise.all(sends);
}

const textOf = (m: ChatMessage) => (m.content.type === 'text' ? m.content.text : `<${m.content.type}>`);

/** Reads a conversation as the server stores it (not through any client's cache). */
export type HistoryReader = (
  userId: string,
  conv: string,
) => Promise<{ seq: number; id: string; text: string }[]>;

/**
 * A {@link HistoryReader} that asks the message service itself, over its internal gRPC port
 * with the internal token, as the member `userId`: the stored truth, oldest first.
 */
export function serverHistory(messageRpcUrl: string, internalToken: string): HistoryReader {
  const client = createClient(message.MessageService, createGrpcTransport({ baseUrl: messageRpcUrl }));
  return async (userId, conv) => {
    const headers = {
      [Meta.internalToken]: internalToken,
      [Meta.userId]: userId,
      [Meta.sessionId]: 'test-reader',
    };
    const all: { seq: number; id: string; text: string }[] = [];
    let before = 0;
    for (;;) {
      const page = await client.getHistory(
        { conversationId: conv, beforeSeq: before, limit: 200 },
        { headers },
      );
      const got = page.messages.map((m) => ({
        seq: m.seq,
        id: m.id,
        text: m.content?.body.case === 'text' ? m.content.body.value.text : `<${m.content?.body.case}>`,
      }));
      all.unshift(...got);
      if (!page.hasMore || got.length === 0) return all;
      before = got[0]!.seq;
    }
  };
}

/**
 * Nothing lost or doubled: the stored conversation is gapless (seq 1..N) with each text once,
 * holds every acknowledged send once under its acked seq and id; each side saw every message
 * once, and the other side's in seq order.
 */
export async function expectIntact(pair: Pair, read: HistoryReader, waitMs = 20_000): Promise<void> {
  const stored = await read(pair.a.id, pair.conv);
  const n = stored.length;
  expect(stored.map((m) => m.seq)).toEqual(Array.from({ length: n }, (_, i) => i + 1));
  expect(new Set(stored.map((m) => m.text)).size).toBe(n);
  const acked = [...pair.a.acked, ...pair.b.acked];
  expect(new Set(acked.map((m) => m.seq)).size).toBe(acked.length);
  for (const m of acked) {
    const s = stored.find((x) => x.seq === m.seq);
    expect(s?.id).toBe(m.id);
    expect(s?.text).toBe(textOf(m));
  }
  const end = Date.now() + waitMs;
  for (const side of [pair.a, pair.b]) {
    while (new Set(side.seen.map((m) => m.seq)).size < n && Date.now() < end)
      await new Promise((r) => setTimeout(r, 20));
    expect([...side.seen.map((m) => m.seq)].sort((x, y) => x - y)).toEqual(
      Array.from({ length: n }, (_, i) => i + 1),
    );
    const fromOther = side.seen.filter((m) => m.senderId !== side.id).map((m) => m.seq);
    expect(fromOther).toEqual([...fromOther].sort((x, y) => x - y));
  }
}
