import { beforeEach, describe, expect, it } from 'vitest';
import { MemoryChatStore } from './chat-store.js';
import { MyChatError } from './errors.js';
import { Outbox, type SendLink } from './outbox.js';
import type { ChatMessage, OutboxEntry, SendStateEvent } from './types.js';

const entry = (clientMsgId = 'cm-0123456789abcdef'): OutboxEntry => ({
  clientMsgId,
  conversationId: 'c1',
  content: { type: 'text', text: 'hi' },
  replyToSeq: 0,
  mentionUserIds: [],
  mentionAll: false,
  createdAt: 1,
});

const stored = (e: OutboxEntry, seq = 7): ChatMessage => ({
  conversationId: e.conversationId,
  seq,
  id: '99',
  senderId: 'me',
  clientMsgId: e.clientMsgId,
  content: e.content,
  replyToSeq: 0,
  mentionUserIds: [],
  mentionAll: false,
  createdAt: 2,
  recalled: false,
});

/** A link that answers each attempt from a script: an error to throw, or 'ok'/'dup'. */
function scripted(script: (MyChatError | 'ok' | 'dup')[]) {
  const attempts: string[] = [];
  const link: SendLink = {
    async send(e) {
      attempts.push(e.clientMsgId);
      const next = script.shift() ?? 'ok';
      if (next instanceof MyChatError) throw next;
      return { message: stored(e), duplicate: next === 'dup' };
    },
  };
  return { link, attempts };
}

describe('Outbox', () => {
  let store: MemoryChatStore;
  let states: SendStateEvent[];
  let sent: ChatMessage[];
  let slept: number[];
  const make = (link: SendLink) =>
    new Outbox(
      store,
      link,
      { sent: async (m) => void sent.push(m), state: (e) => states.push(e) },
      { sleep: async (ms) => void slept.push(ms), backoff: { random: () => 0 } },
    );

  beforeEach(() => {
    store = new MemoryChatStore();
    states = [];
    sent = [];
    slept = [];
  });

  it('retries a lost connection and a missing ack with the same clientMsgId until it is stored', async () => {
    const { link, attempts } = scripted([
      new MyChatError('gone', 'CONNECTION_LOST'),
      new MyChatError('no ack', 'TIMEOUT'),
      'dup', // the second attempt had been stored: the server answers with the original
    ]);
    const m = await make(link).send(entry());
    expect(m.seq).toBe(7);
    expect(attempts).toEqual(['cm-0123456789abcdef', 'cm-0123456789abcdef', 'cm-0123456789abcdef']);
    expect(slept).toEqual([250, 500]);
    expect(states.map((s) => s.state)).toEqual(['pending', 'sent']);
    expect(states[1]).toMatchObject({ conversationId: 'c1', clientMsgId: 'cm-0123456789abcdef', seq: 7 });
    expect(sent).toHaveLength(1);
    expect(await store.listOutbox()).toEqual([]);
  });

  it('keeps the entry in the store until the ack', async () => {
    let release!: () => void;
    const link: SendLink = {
      send: (e) => new Promise((r) => (release = () => r({ message: stored(e), duplicate: false }))),
    };
    const p = make(link).send(entry());
    await new Promise((r) => setTimeout(r, 0));
    expect((await store.listOutbox()).map((e) => e.clientMsgId)).toEqual(['cm-0123456789abcdef']);
    release();
    await p;
    expect(await store.listOutbox()).toEqual([]);
  });

  it('fails at once on a permanent refusal and rejects with the reason', async () => {
    for (const reason of ['NOT_FRIENDS', 'MESSAGE_TOO_LONG', 'BLOCKED', 'NOT_A_MEMBER', 'MUTED']) {
      states = [];
      const { link, attempts } = scripted([new MyChatError('no', reason)]);
      await expect(make(link).send(entry(`id-${reason}`))).rejects.toMatchObject({ reason });
      expect(attempts).toHaveLength(1);
      expect(states.map((s) => s.state)).toEqual(['pending', 'failed']);
      expect(states[1]!.error).toBeInstanceOf(MyChatError);
    }
    expect(await store.listOutbox()).toEqual([]);
  });

  it('waits as long as RATE_LIMITED says, then retries', async () => {
    const { link, attempts } = scripted([new MyChatError('slow down', 'RATE_LIMITED', undefined, 3), 'ok']);
    await make(link).send(entry());
    expect(attempts).toHaveLength(2);
    expect(slept).toHaveLength(1);
    expect(slept[0]).toBeGreaterThanOrEqual(3000);
    expect(slept[0]).toBeLessThanOrEqual(4500);
  });

  it('gives up on repeated INTERNAL errors after a few attempts', async () => {
    const { link, attempts } = scripted(
      Array.from({ length: 10 }, () => new MyChatError('boom', 'INTERNAL')),
    );
    await expect(make(link).send(entry())).rejects.toMatchObject({ reason: 'INTERNAL' });
    expect(attempts).toHaveLength(5);
  });

  it('resumes sends left in the store by an earlier run', async () => {
    await store.putOutbox(entry('left-1'));
    await store.putOutbox(entry('left-2'));
    const { link, attempts } = scripted([]);
    await make(link).resume();
    await new Promise((r) => setTimeout(r, 0));
    expect(attempts.sort()).toEqual(['left-1', 'left-2']);
    expect(states.map((s) => `${s.clientMsgId}:${s.state}`).sort()).toEqual(['left-1:sent', 'left-2:sent']);
    expect(await store.listOutbox()).toEqual([]);
  });
});
