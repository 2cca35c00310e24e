import { create } from '@bufbuild/protobuf';
import { message as pb } from '@mychat/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectReason } from '../../../test/helpers/auth-helpers.js';
import {
  befriend,
  newUser,
  startContactsEnv,
  type ContactsEnv,
} from '../../../test/helpers/contacts-helpers.js';

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

  it('lists messages by id after a cursor, recalls flagged, and the windows of who may read', async () => {
    const [a, b, c] = [await newUser(env, 'A'), await newUser(env, 'B'), await newUser(env, 'C')];
    const direct = await befriend(env.api, a, b);
    const send = async (t: string) =>
      (
        await env.messages.sendMessage(
          { conversationId: direct, clientMsgId: `feed-${t}`, content: text(t) },
          a.h,
        )
      ).message!;
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
