import { describe, expect, it } from 'vitest';
import { MemoryChatStore } from './chat-store.js';
import { FakeChatServer } from './fake-chat-server.test-helpers.js';
import { isElided } from './mappers.js';
import { MessagesApi, newClientMsgId, type MessagesContext } from './messages-api.js';
import { SyncEngine } from './sync-engine.js';

async function setup() {
  const server = new FakeChatServer();
  const store = new MemoryChatStore();
  await store.setState({ userId: 'me', pts: 0 });
  const engine = new SyncEngine(
    server,
    store,
    { messages: () => undefined, conversation: () => undefined, sendStates: () => undefined },
    () => 'me',
  );
  const api = new MessagesApi({ store, engine, backend: server } as unknown as MessagesContext);
  return { server, store, engine, api };
}

describe('MessagesApi', () => {
  it('serves history from the store when it holds the range, else from the server', async () => {
    const { server, engine, api, store } = await setup();
    server.addConversation('a');
    server.fill('a', 120);
    await engine.catchUp();
    server.calls = [];

    const newest = await api.history('a', { limit: 50 });
    expect(newest.messages.map((m) => m.seq)).toEqual(Array.from({ length: 50 }, (_, i) => 71 + i));
    expect(newest.hasMore).toBe(true);
    const oldest = await api.history('a', { beforeSeq: 21, limit: 50 });
    expect(oldest.messages.map((m) => m.seq)).toEqual(Array.from({ length: 20 }, (_, i) => 1 + i));
    expect(oldest.hasMore).toBe(false);
    expect(server.calls).toEqual([]); // all local

    // A hole in the store (e.g. evicted by a persistent store) sends the page to the server.
    const m = (await store.getMessages('a', { afterSeq: 0, limit: 200 })).filter((x) => x.seq !== 10);
    const holed = new MemoryChatStore();
    await holed.putConversations([(await store.getConversation('a'))!]);
    await holed.putMessages('a', m, 120);
    const api2 = new MessagesApi({ store: holed, backend: server } as unknown as MessagesContext);
    const page = await api2.history('a', { beforeSeq: 21, limit: 20 });
    expect(page.messages.map((x) => x.seq)).toEqual(Array.from({ length: 20 }, (_, i) => 1 + i));
    expect(server.calls).toEqual(['history(a,after=-,before=21)']);
    expect(await holed.getMessage('a', 10)).toBeDefined();
  });

  it('asks the server for a conversation this client never synced', async () => {
    const { server, api } = await setup();
    server.addConversation('b');
    server.fill('b', 3);
    const page = await api.history('b');
    expect(page.messages.map((m) => m.seq)).toEqual([1, 2, 3]);
  });

  it('lists conversations pinned first, then by latest message', async () => {
    const { server, engine, api } = await setup();
    for (const id of ['old', 'new', 'pinned']) server.addConversation(id, { pinned: id === 'pinned' });
    server.append('pinned');
    server.append('old');
    server.append('new');
    server.convs.get('new')!.lastMessage!.createdAt += 10;
    await engine.catchUp();
    expect((await api.conversations()).map((c) => c.id)).toEqual(['pinned', 'new', 'old']);
  });

  it('stores kept messages without their sealed bytes, and serves them only to a page asked with them kept', async () => {
    const { server, engine, api, store } = await setup();
    server.addConversation('e', { type: 'encrypted' });
    server.fill('e', 4);
    const bytes = (n: number, v: number) => new Uint8Array(n).fill(v);
    for (const m of server.msgs.get('e')!) {
      const sealed = {
        version: 1,
        ciphertext: bytes(40, m.seq),
        nonce: bytes(12, m.seq),
        senderDeviceId: 'd',
      };
      const keys = [{ userId: 'me', deviceId: 'x', wrapped: bytes(48, m.seq) }];
      m.content = { type: 'encrypted', sealed: { ...sealed, ephemeralKey: bytes(32, 1), keys, files: [] } };
    }
    await engine.catchUp();
    // As the server answers GetHistoryRequest.e2ee_kept: the sealed bytes of the range left out.
    const history = server.history.bind(server);
    const kept = { fromSeq: 2, toSeq: 4 };
    server.history = async (req) => {
      const page = await history(req);
      const { fromSeq, toSeq } = (req as { e2eeKept?: typeof kept }).e2eeKept ?? { fromSeq: 1, toSeq: 0 };
      for (const m of page.messages)
        if (m.seq >= fromSeq && m.seq <= toSeq && m.content.type === 'encrypted')
          Object.assign(m.content.sealed, { ciphertext: bytes(0, 0), ephemeralKey: bytes(0, 0), keys: [] });
      return page;
    };
    // Whole in the store (synced): served from it, with or without the range.
    server.calls = [];
    await api.history('e', { limit: 4, e2eeKept: kept });
    await api.history('e', { limit: 4 });
    expect(server.calls).toEqual([]);
    // A stored message without its bytes is a hole for a page without the range: from the server.
    const stored = await store.getMessages('e', { limit: 4 });
    for (const m of stored)
      if (m.seq > 1 && m.content.type === 'encrypted') m.content.sealed.ciphertext = bytes(0, 0);
    await store.putMessages('e', stored);
    expect((await api.history('e', { limit: 4 })).messages.filter(isElided)).toEqual([]);
    expect(server.calls).toEqual(['history(e,after=-,before=0)']);
    // Fetched with the range (a store that has none of them): stored as they came, without the
    // bytes (the kept bodies hold them); asked again with the range, from the store; with a
    // narrower one, seq 2 is a hole.
    const fresh = new MemoryChatStore();
    await fresh.putConversations([(await store.getConversation('e'))!]);
    await fresh.putMessages('e', [], 4);
    const api2 = new MessagesApi({ store: fresh, backend: server } as unknown as MessagesContext);
    server.calls = [];
    const page = await api2.history('e', { limit: 4, e2eeKept: kept });
    expect(page.messages.map(isElided)).toEqual([false, true, true, true]);
    expect((await fresh.getMessages('e', { limit: 4 })).map(isElided)).toEqual([false, true, true, true]);
    await api2.history('e', { limit: 4, e2eeKept: kept });
    expect(server.calls).toEqual(['history(e,after=-,before=0)']);
    await api2.history('e', { limit: 4, e2eeKept: { fromSeq: 3, toSeq: 4 } });
    expect(server.calls).toEqual(['history(e,after=-,before=0)', 'history(e,after=-,before=0)']);
  });

  it('makes random clientMsgIds of 22 url-safe characters', () => {
    const ids = new Set(Array.from({ length: 100 }, newClientMsgId));
    expect(ids.size).toBe(100);
    for (const id of ids) expect(id).toMatch(/^[A-Za-z0-9_-]{22}$/);
  });
});
