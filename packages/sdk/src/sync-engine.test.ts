import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MemoryChatStore } from './chat-store.js';
import { FakeChatServer } from './fake-chat-server.test-helpers.js';
import { SyncEngine } from './sync-engine.js';
import type { Conversation, MessageMeta, SendStateEvent } from './types.js';

const ME = 'me';

describe('SyncEngine', () => {
  let server: FakeChatServer;
  let store: MemoryChatStore;
  let emitted: { conv: string; seq: number; source: MessageMeta['source'] }[];
  let convEvents: Conversation[];
  let sendStates: SendStateEvent[];
  let updated: number[];
  let checks: Promise<void>[];
  let engine: SyncEngine;
  const stores: MemoryChatStore[] = [];
  afterEach(() => Promise.all(checks));

  const make = (pageSize = 200) =>
    new SyncEngine(
      server,
      store,
      {
        messages: (conv, msgs, meta) => {
          // The store must already hold the batch and its high-water mark when it is emitted.
          const last = msgs[msgs.length - 1]!.seq;
          const store = stores.at(-1)!;
          checks.push(
            (async () => {
              expect(await store.getMaxSeq(conv)).toBeGreaterThanOrEqual(last);
              for (const m of msgs) expect(await store.getMessage(conv, m.seq)).toBeDefined();
            })(),
          );
          for (const m of msgs) emitted.push({ conv, seq: m.seq, source: meta.source });
        },
        conversation: (c) => convEvents.push(c),
        sendStates: (e) => sendStates.push(...e),
        updated: (_conv, msgs) => updated.push(...msgs.map((m) => m.seq)),
      },
      () => ME,
      { pageSize },
    );

  const seqs = (conv: string) => emitted.filter((e) => e.conv === conv).map((e) => e.seq);
  const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

  beforeEach(async () => {
    server = new FakeChatServer();
    store = new MemoryChatStore();
    stores.push(store);
    await store.setState({ userId: ME, pts: 0 });
    emitted = [];
    convEvents = [];
    sendStates = [];
    updated = [];
    checks = [];
    engine = make(200);
  });

  it('catches a fresh client up: every message once, in order, paged, from firstSeq', async () => {
    server.addConversation('a');
    server.fill('a', 450);
    server.addConversation('g', { type: 'group', firstSeq: 5 });
    server.fill('g', 7);
    server.addConversation('empty');

    await engine.catchUp();
    await Promise.all(checks);

    expect(seqs('a')).toEqual(range(1, 450));
    expect(seqs('g')).toEqual([5, 6, 7]);
    expect(seqs('empty')).toEqual([]);
    expect(server.calls.filter((c) => c.startsWith('history(a'))).toEqual([
      'history(a,after=0,before=0)',
      'history(a,after=200,before=0)',
      'history(a,after=400,before=0)',
    ]);
    expect(server.calls).toContain('history(g,after=4,before=0)');
    expect(await store.getState()).toEqual({ userId: ME, pts: server.pts });
    expect(await store.getMaxSeq('a')).toBe(450);
    expect(await store.getMaxSeq('g')).toBe(7);
    expect((await store.getConversation('a'))!.lastMessage!.seq).toBe(450);
    expect(emitted.every((e) => e.source === 'sync')).toBe(true);
  });

  it('on reconnect syncs from the stored pts and pulls only what is new', async () => {
    server.addConversation('a');
    server.fill('a', 3);
    await engine.catchUp();
    const pts = (await store.getState()).pts;
    server.fill('a', 2);
    server.calls = [];

    await engine.catchUp();

    expect(server.calls).toEqual([`sync(${pts})`, 'history(a,after=3,before=0)']);
    expect(seqs('a')).toEqual(range(1, 5));
  });

  it('after a failure mid catch-up, resumes where the store says: nothing skipped, nothing twice', async () => {
    server.addConversation('a');
    server.fill('a', 25);
    engine = make(10);
    server.failHistory = (r) => r.afterSeq === 10;
    await expect(engine.catchUp()).rejects.toThrow('network down');
    expect(await store.getMaxSeq('a')).toBe(10);
    expect(seqs('a')).toEqual(range(1, 10));

    server.failHistory = () => false;
    await engine.catchUp(); // the cursor moved, but Sync returns every head: the gap is still found
    await Promise.all(checks);
    expect(seqs('a')).toEqual(range(1, 25));
  });

  it('saves the pts of a Sync only after its conversations are stored (a crash in between re-reads)', async () => {
    server.addConversation('a');
    server.fill('a', 2);
    await engine.catchUp();
    const before = (await store.getState()).pts;
    server.fill('a', 1);
    // The store fails while applying the changed conversations (the process dies there).
    const put = store.putConversations.bind(store);
    store.putConversations = () => Promise.reject(new Error('disk full'));
    await expect(engine.catchUp()).rejects.toThrow('disk full');
    expect((await store.getState()).pts).toBe(before);

    store.putConversations = put;
    await engine.catchUp();
    expect((await store.getState()).pts).toBeGreaterThan(before);
    expect(seqs('a')).toEqual(range(1, 3));
  });

  it('live pushes: next seq is applied, duplicates dropped, a gap pulls the missing range', async () => {
    server.addConversation('a');
    server.fill('a', 2);
    await engine.catchUp();

    await engine.push(server.append('a')); // 3: the next one
    await engine.push(structuredClone((await store.getMessage('a', 2))!)); // duplicate
    await engine.push(server.append('a')); // 4
    server.append('a'); // 5: its push is lost
    server.append('a'); // 6
    server.calls = [];
    await engine.push(server.append('a')); // 7: gap 5..6

    expect(seqs('a')).toEqual(range(1, 7));
    expect(server.calls).toEqual(['history(a,after=4,before=0)']);
    expect(emitted.slice(2).map((e) => e.source)).toEqual(['push', 'push', 'push', 'push', 'push']);
    await Promise.all(checks);
  });

  it('a push racing the catch-up of its conversation is emitted once', async () => {
    server.addConversation('a');
    server.fill('a', 300);
    const catchUp = engine.catchUp();
    const late = server.append('a'); // 301 arrives by push while the pull is running
    await Promise.all([catchUp, engine.push(late), engine.push(late)]);
    expect(seqs('a')).toEqual(range(1, 301));
  });

  it('a push into a conversation it never saw fetches it and starts at its firstSeq', async () => {
    server.addConversation('g', { type: 'group', firstSeq: 10 });
    server.fill('g', 11);
    const eleven = (await server.history({ conversationId: 'g', afterSeq: 10, limit: 1 })).messages[0]!;
    server.calls = [];
    await engine.push(eleven);
    expect(server.calls[0]).toBe('conversation(g)');
    expect(seqs('g')).toEqual([10, 11]); // 11 was a gap above firstSeq - 1 = 9
  });

  it('counts unread messages from others beyond the server snapshot only', async () => {
    server.addConversation('a', { unreadCount: 0 });
    await engine.catchUp();
    await engine.push(server.append('a'));
    await engine.push(server.append('a', ME));
    await engine.push(server.append('a'));
    const c = (await store.getConversation('a'))!;
    expect(c.unreadCount).toBe(2);
    expect(c.lastSeq).toBe(3);
  });

  it('a link preview pushed again after its message lands on the stored one (not a new message)', async () => {
    server.addConversation('a');
    server.fill('a', 3);
    await engine.catchUp();
    const preview = {
      url: 'https://example.com/',
      title: 'Example',
      description: 'd',
      siteName: 'example.com',
    };
    await engine.push({ ...structuredClone((await store.getMessage('a', 2))!), linkPreview: preview });
    expect((await store.getMessage('a', 2))!.linkPreview).toEqual(preview);
    expect(updated).toEqual([2]);
    expect(seqs('a')).toEqual([1, 2, 3]);
    // Again (a second push) changes nothing; a recalled message takes none.
    await engine.push({ ...structuredClone((await store.getMessage('a', 2))!), linkPreview: preview });
    const recall = server.append('a');
    recall.content = { type: 'recall', seq: 3, byUserId: 'peer' };
    await engine.push(recall);
    await engine.push({ ...structuredClone((await store.getMessage('a', 3))!), linkPreview: preview });
    expect((await store.getMessage('a', 3))!.linkPreview).toBeUndefined();
    expect(updated).toEqual([2, 3]); // 3: by its recall only
  });

  it('a recall turns the original into a tombstone in the store', async () => {
    server.addConversation('a');
    server.fill('a', 2);
    await engine.catchUp();
    const recall = server.append('a');
    recall.content = { type: 'recall', seq: 2, byUserId: 'peer' };
    await engine.push(recall);
    const original = (await store.getMessage('a', 2))!;
    expect(original.recalled).toBe(true);
    expect(original.content).toEqual({ type: 'empty' });
  });

  it('ConversationEvent: stores it, moves pts only when contiguous, pulls named messages', async () => {
    server.addConversation('a');
    await engine.catchUp();
    const pts = (await store.getState()).pts;
    server.append('a');
    await engine.conversationChanged({ ...server.convs.get('a')!, pinned: true }, pts + 5);
    expect((await store.getState()).pts).toBe(pts); // not contiguous: the next Sync covers it
    expect((await store.getConversation('a'))!.pinned).toBe(true);
    expect(seqs('a')).toEqual([1]);
    await engine.conversationChanged({ ...server.convs.get('a')!, muted: true }, pts + 1);
    expect((await store.getState()).pts).toBe(pts + 1);
  });

  it('maps a direct peer receipt to delivered/read states of the messages the user sent', async () => {
    server.addConversation('a', { peerId: 'bob' });
    server.append('a', ME); // 1
    server.append('a', 'bob'); // 2
    server.append('a', ME); // 3
    server.append('a', ME); // 4
    await engine.catchUp();

    await engine.receipt({ conversationId: 'a', userId: 'bob', deliveredSeq: 4, readSeq: 1 });
    expect(sendStates.map((e) => `${e.seq}:${e.state}`)).toEqual(['3:delivered', '4:delivered', '1:read']);
    sendStates = [];
    await engine.receipt({ conversationId: 'a', userId: 'bob', deliveredSeq: 4, readSeq: 4 });
    expect(sendStates.map((e) => `${e.seq}:${e.state}`)).toEqual(['3:read', '4:read']);
    expect(sendStates[0]!.clientMsgId).toBe('c-a-3');
    sendStates = [];
    await engine.receipt({ conversationId: 'a', userId: 'bob', deliveredSeq: 4, readSeq: 4 }); // repeated: nothing new
    expect(sendStates).toEqual([]);
    const c = (await store.getConversation('a'))!;
    expect([c.peerDeliveredSeq, c.peerReadSeq]).toEqual([4, 4]);
  });

  it('reports delivered/read at once for an own send whose receipt overtook its ack', async () => {
    server.addConversation('a', { peerId: 'bob' });
    await engine.catchUp();
    const mine = server.append('a', ME);
    await engine.receipt({ conversationId: 'a', userId: 'bob', deliveredSeq: 1, readSeq: 0 });
    expect(sendStates).toEqual([]); // not stored yet: nothing to map
    await engine.push(mine, 'sent');
    expect(sendStates).toEqual([{ conversationId: 'a', clientMsgId: 'c-a-1', seq: 1, state: 'delivered' }]);
  });

  it('derives send states from the peer cursors of a synced snapshot (receipts missed while away)', async () => {
    server.addConversation('a', { peerId: 'bob' });
    server.append('a', ME);
    server.append('a', ME);
    await engine.catchUp();
    Object.assign(server.convs.get('a')!, { peerDeliveredSeq: 2, peerReadSeq: 1, pts: ++server.pts });
    await engine.catchUp();
    expect(sendStates.map((e) => `${e.seq}:${e.state}`)).toEqual(['2:delivered', '1:read']);
  });
});
