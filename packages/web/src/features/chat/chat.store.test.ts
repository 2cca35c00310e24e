import { MyChatError, type ChatMessage, type OutboxEntry } from '@mychat/sdk';
import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it } from 'vitest';
import { FakeClient, installBrowserGlobals, settle } from '../../sdk/fake-client.test-helpers.js';

installBrowserGlobals();
const { provideClient } = await import('../../sdk/current-client.js');
const { useChatStore } = await import('./chat.store.js');

const mine = (conversationId: string, clientMsgId: string, seq: number, text: string): ChatMessage => ({
  conversationId,
  seq,
  id: String(100 + seq),
  senderId: 'me',
  clientMsgId,
  content: { type: 'text', text },
  replyToSeq: 0,
  mentionUserIds: [],
  mentionAll: false,
  createdAt: 1_700_000_000_000 + seq,
  recalled: false,
});

let fake: FakeClient;
let outbox: OutboxEntry[];
beforeEach(() => {
  fake = new FakeClient();
  outbox = [];
  fake.provide('messages', {
    conversations: async () => [],
    pending: async () => outbox,
    sendText: async () => undefined,
  });
  fake.provide('contacts', { users: async () => [] });
  provideClient(fake.asClient());
  localStorage.setItem('mychat.me', JSON.stringify({ id: 'me', nickname: 'Me' })); // who is signed in
  setActivePinia(createPinia());
});

describe('chat store: pending, failed, retry', () => {
  it('shows a send as pending at once and drops it when the stored message comes back', async () => {
    const chat = useChatStore();
    chat.drafts.c1 = 'hello';
    chat.send('c1', 'hello', { replyToSeq: 4, mentionUserIds: ['u2'] });

    const [p] = chat.pending.c1!;
    expect(p).toMatchObject({ text: 'hello', state: 'pending', replyToSeq: 4, mentionUserIds: ['u2'] });
    expect(chat.drafts.c1).toBeUndefined();
    expect(fake.calls).toEqual([
      `messages.sendText("c1","hello",${JSON.stringify({ replyToSeq: 4, mentionUserIds: ['u2'], clientMsgId: p!.clientMsgId })})`,
    ]);

    // Someone else's message with the same client id does not clear one's own pending send.
    fake.emit('message', { ...mine('c1', p!.clientMsgId, 1, 'x'), senderId: 'u2' }, { source: 'push' });
    expect(chat.pending.c1).toHaveLength(1);
    fake.emit('message', mine('c1', p!.clientMsgId, 2, 'hello'), { source: 'push' });
    expect(chat.pending.c1).toEqual([]);
  });

  it('marks a refused send failed with the readable reason, and ignores other states and unknown ids', async () => {
    const chat = useChatStore();
    chat.send('c1', 'hi');
    const id = chat.pending.c1![0]!.clientMsgId;

    fake.emit('sendState', { conversationId: 'c1', clientMsgId: id, state: 'sent', seq: 1 });
    fake.emit('sendState', { conversationId: 'c1', clientMsgId: 'someone-else', state: 'failed' });
    fake.emit('sendState', { conversationId: 'c2', clientMsgId: id, state: 'failed' });
    expect(chat.pending.c1![0]!.state).toBe('pending');

    const error = new MyChatError('blocked', 'BLOCKED');
    fake.emit('sendState', { conversationId: 'c1', clientMsgId: id, state: 'failed', error });
    expect(chat.pending.c1![0]).toMatchObject({ state: 'failed', error: 'You cannot message this person.' });
  });

  it('a rejected sendText call neither throws nor drops the message: the refusal comes as an event', async () => {
    fake.provide('messages', { sendText: async () => Promise.reject(new MyChatError('no', 'NETWORK')) });
    const chat = useChatStore();
    chat.send('c1', 'offline');
    await settle();
    expect(chat.pending.c1).toHaveLength(1);
    expect(chat.pending.c1![0]!.state).toBe('pending');
  });

  it('retry replaces a failed message with a new attempt carrying the same text, reply and mentions', async () => {
    const chat = useChatStore();
    chat.send('c1', 'again', { replyToSeq: 7, mentionUserIds: ['u3'], mentionAll: true });
    const first = chat.pending.c1![0]!;
    fake.emit('sendState', {
      conversationId: 'c1',
      clientMsgId: first.clientMsgId,
      state: 'failed',
      error: new MyChatError('x', 'NOT_A_MEMBER'),
    });
    fake.calls.length = 0;

    chat.retry(chat.pending.c1![0]!);

    expect(chat.pending.c1).toHaveLength(1);
    const second = chat.pending.c1![0]!;
    expect(second.clientMsgId).not.toBe(first.clientMsgId); // the server refused the old id for good
    expect(second).toMatchObject({
      state: 'pending',
      text: 'again',
      replyToSeq: 7,
      mentionUserIds: ['u3'],
      mentionAll: true,
    });
    expect(second.error).toBeUndefined();
    expect(fake.calls).toEqual([
      `messages.sendText("c1","again",${JSON.stringify({ replyToSeq: 7, mentionUserIds: ['u3'], mentionAll: true, clientMsgId: second.clientMsgId })})`,
    ]);
    // A late failure of the first attempt no longer touches the new one.
    fake.emit('sendState', { conversationId: 'c1', clientMsgId: first.clientMsgId, state: 'failed' });
    expect(chat.pending.c1![0]!.state).toBe('pending');
  });

  it('init brings back the text sends still in the outbox as pending, once each, and skips other kinds', async () => {
    const entry = (clientMsgId: string, content: OutboxEntry['content']) =>
      ({
        conversationId: 'c9',
        clientMsgId,
        content,
        replyToSeq: 0,
        mentionUserIds: [],
        mentionAll: false,
        createdAt: 1,
      }) as OutboxEntry;
    outbox = [
      entry('a', { type: 'text', text: 'one' }),
      entry('a', { type: 'text', text: 'one' }),
      entry('b', { type: 'image', images: [] } as never),
    ];
    const chat = useChatStore();
    await chat.init();
    expect(chat.ready).toBe(true);
    expect(chat.pending.c9!.map((p) => [p.clientMsgId, p.text, p.state])).toEqual([['a', 'one', 'pending']]);
  });
});
