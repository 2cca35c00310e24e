import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { create } from '@bufbuild/protobuf';
import { message as pb } from '@mychat/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectReason } from '../../../test/helpers/auth-helpers.js';
import {
  befriend,
  newUser,
  type TestUser,
  startContactsEnv,
  type ContactsEnv,
} from '../../../test/helpers/contacts-helpers.js';
import { openIndexFeedReader } from './message.index-feed.reader.js';

/** The search service's feed and read windows on MessageInternalService (message.index-feed.ts). */
describe('message feed for the search indexer', () => {
  let env: ContactsEnv;
  const internal = () => env.server.app.value('rpc').client(pb.MessageInternalService);
  const text = (t: string) => create(pb.MessageContentSchema, { body: { case: 'text', value: { text: t } } });

  beforeAll(async () => {
    env = await startContactsEnv(
      { name: 'SQLite', engine: 'sqlite', redis: false, fakeMessage: false },
      { search: { indexer: false } },
    );
  });
  afterAll(() => env?.stop());
  /** A text from `from` in `convId`, with its own client message id. */
  const sendText = async (from: Pick<TestUser, 'h'>, convId: string, clientMsgId: string, t: string) =>
    (await env.messages.sendMessage({ conversationId: convId, clientMsgId, content: text(t) }, from.h))
      .message!;

  it('lists messages by id after a cursor, recalls flagged, and the windows of who may read', async () => {
    const [a, b, c] = [await newUser(env, 'A'), await newUser(env, 'B'), await newUser(env, 'C')];
    const direct = await befriend(env.api, a, b);
    const send = (t: string) => sendText(a, direct, `feed-${t}`, t);
    const [m1, m2] = [await send('one'), await send('two')];
    await env.messages.recallMessage({ conversationId: direct, seq: m1.seq }, a.h);

    const all = await internal().listMessagesForIndex({ afterCursor: '', limit: 1000 });
    const ids = all.messages.map((m) => BigInt(m.id));
    expect([...ids].sort((x, y) => (x < y ? -1 : 1))).toEqual(ids);
    const mine = all.messages.filter((m) => m.conversationId === direct);
    expect(mine.map((m) => [m.seq, m.type, m.recalled])).toEqual([
      [1, pb.MessageType.SYSTEM, false], // "You are now friends"
      [m1.seq, pb.MessageType.TEXT, true],
      [m2.seq, pb.MessageType.TEXT, false],
      [m2.seq + 1, pb.MessageType.RECALL, false],
    ]);
    expect(mine[1]!.content?.body.case).toBeUndefined();
    expect(all.nextCursor).toBe(all.messages[all.messages.length - 1]!.id);
    const page = await internal().listMessagesForIndex({ afterCursor: m1.id, untilCursor: m2.id, limit: 10 });
    expect(page.messages.map((m) => m.id)).toEqual([m2.id]);
    const none = await internal().listMessagesForIndex({ afterCursor: all.nextCursor, limit: 10 });
    expect(none).toMatchObject({ messages: [], nextCursor: all.nextCursor });

    const w = await internal().listReadableWindows({ userId: b.id, conversationId: direct });
    expect(w.windows.map((x) => [x.conversationId, x.firstSeq, x.lastSeq, x.left])).toEqual([
      [direct, 1, m2.seq + 1, false],
    ]);
    expect((await internal().listReadableWindows({ userId: c.id, conversationId: direct })).windows).toEqual(
      [],
    );
  });

  it("reads the same pages from the store's file, read-only, as the RPC gives (the index thread's reader)", async () => {
    const [a, b] = [await newUser(env, 'D'), await newUser(env, 'E')];
    const direct = await befriend(env.api, a, b);
    const send = (t: string) => sendText(a, direct, `reader-${t}`, t);
    const [m1, m2] = [await send('first'), await send('second'), await send('third')];
    await env.messages.editMessage({ conversationId: direct, seq: m1.seq, text: 'first, edited' }, a.h);
    await env.messages.recallMessage({ conversationId: direct, seq: m2.seq }, a.h);
    const reader = openIndexFeedReader(join(env.server.dataDir, 'mychat.db'));
    try {
      const requests = [
        { afterCursor: '', untilCursor: '', limit: 1000 },
        { afterCursor: '', untilCursor: '', limit: 3 },
        { afterCursor: m1.id, untilCursor: '', limit: 1000 },
        { afterCursor: m1.id, untilCursor: m2.id, limit: 10 },
      ];
      for (const req of requests) {
        const [mine, rpc] = [
          await reader.listMessagesForIndex(req),
          await internal().listMessagesForIndex(req),
        ];
        expect(mine.messages).toEqual(rpc.messages);
        expect(mine.nextCursor).toBe(rpc.nextCursor);
      }
      // The edit: followed by the message as it is now.
      const all = await reader.listMessagesForIndex(requests[0]!);
      const at = all.messages.findIndex((m) => m.type === pb.MessageType.EDIT && m.conversationId === direct);
      expect(all.messages[at + 1]).toMatchObject({
        seq: m1.seq,
        content: { body: { value: { text: 'first, edited' } } },
      });
      await expect(
        reader.listMessagesForIndex({ afterCursor: 'abc', untilCursor: '', limit: 1 }),
      ).rejects.toThrow(/afterCursor is not a cursor/);
    } finally {
      reader.close();
    }
  });

  it('refuses to read a store file that is missing, not a database, or not in WAL mode', () => {
    const dir = env.server.dataDir;
    expect(() => openIndexFeedReader(join(dir, 'missing.db'))).toThrow(
      `message store ${join(dir, 'missing.db')} cannot be opened read-only`,
    );
    writeFileSync(join(dir, 'junk.db'), 'not a database, just text '.repeat(100));
    expect(() => openIndexFeedReader(join(dir, 'junk.db'))).toThrow(
      /junk\.db cannot be read for the search index: .*not a database/,
    );
    writeFileSync(join(dir, 'empty.db'), '');
    expect(() => openIndexFeedReader(join(dir, 'empty.db'))).toThrow(/journal mode is delete, not wal/);
  });

  it('refuses a cursor it never gave and a limit past 1000', async () => {
    await expectReason(internal().listMessagesForIndex({ afterCursor: 'abc' }), 'INVALID_ARGUMENT');
    await expectReason(internal().listMessagesForIndex({ untilCursor: '-1' }), 'INVALID_ARGUMENT');
    await expectReason(internal().listMessagesForIndex({ limit: 5000 }), 'INVALID_ARGUMENT');
    await expectReason(internal().listReadableWindows({ userId: '' }), 'INVALID_ARGUMENT');
  });

  it('is not reachable through the public edge', async () => {
    const res = await fetch(
      `${env.server.baseUrl}/mychat.message.v1.MessageInternalService/ListMessagesForIndex`,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{}',
      },
    );
    expect(res.status).toBe(404);
  });
});
