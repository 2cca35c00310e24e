import { create } from '@bufbuild/protobuf';
import { message as pb } from '@mychat/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, expectReason, signUp, type AuthClient } from '../../../test/helpers/auth-helpers.js';
import { backendAvailable, backendUrls, uniqueName } from '../../../test/helpers/backends.js';
import { createTestDatabaseUrl, dropTestDatabase } from '../../../test/helpers/sql-databases.js';
import { startTestServer, type TestServer } from '../../../test/helpers/test-server.js';
import { errorInfoOf } from '../../kernel/errors.js';
import { HISTORY_PAGE_BYTES } from './message.conversations.js';
import { auth } from '@mychat/protocol';

/**
 * The delivery contract through the public MessageService of a real server, on every SQL
 * engine. Membership is set through the internal API the contacts service uses.
 */
const setups = [
  { name: 'SQLite + memory', engine: 'sqlite' as const, redis: false },
  { name: 'MariaDB + Redis', engine: 'mysql' as const, redis: true },
  { name: 'PostgreSQL + Redis', engine: 'postgres' as const, redis: true },
];

const text = (t: string) => create(pb.MessageContentSchema, { body: { case: 'text', value: { text: t } } });

/** Two new accounts and their 1:1 conversation (opened through the internal API, both may send). */
async function directChat(server: TestServer) {
  const api = server.client(auth.AuthService);
  const [a, b] = [await signUp(server, api), await signUp(server, api)];
  const { conversationId } = await server.app
    .value('rpc')
    .client(pb.MessageInternalService)
    .applyDirect({ userA: a.session.user!.id, userB: b.session.user!.id, aCanSend: true, bCanSend: true });
  return { api, a, b, conversationId };
}

for (const setup of setups) {
  const ok =
    (setup.engine === 'sqlite' || (await backendAvailable(setup.engine))) &&
    (!setup.redis || (await backendAvailable('redis')));
  describe.skipIf(!ok)(`messages on ${setup.name}`, () => {
    let server: TestServer;
    let sqlUrl: string | undefined;
    let api: AuthClient;
    const msgApi = () => server.client(pb.MessageService);
    const internal = () => server.app.value('rpc').client(pb.MessageInternalService);

    beforeAll(async () => {
      sqlUrl = setup.engine === 'sqlite' ? undefined : await createTestDatabaseUrl(setup.engine);
      server = await startTestServer({
        sqlUrl,
        redisUrl: setup.redis ? backendUrls.redis : undefined,
        redisPrefix: uniqueName('msg') + ':',
        overrides: { message: { sendBurst: 1000, sendRatePerSecond: 1000 } },
      });
      api = server.client(auth.AuthService);
    });
    afterAll(async () => {
      await server?.stop();
      if (sqlUrl) await dropTestDatabase(sqlUrl);
    });

    async function user() {
      const { session } = await signUp(server, api);
      return { id: session.user!.id, h: bearer(session.accessToken) };
    }
    async function pair() {
      const [a, b] = [await user(), await user()];
      const { conversationId } = await internal().applyDirect({
        userA: a.id,
        userB: b.id,
        aCanSend: true,
        bCanSend: true,
      });
      return { a, b, conv: conversationId };
    }
    /** A group with an owner and members (through the internal API the contacts service uses). */
    async function group(gid: string, owner: { id: string }, ...members: { id: string }[]) {
      await internal().applyGroup({
        conversationId: gid,
        name: 'G',
        members: [{ userId: owner.id, role: 3 }, ...members.map((m) => ({ userId: m.id, role: 1 }))],
      });
      return gid;
    }
    const send = (
      h: ReturnType<typeof bearer>,
      conversationId: string,
      t: string,
      clientMsgId = `c${Math.random()}`.replace('.', ''),
    ) => msgApi().sendMessage({ conversationId, clientMsgId, content: text(t) }, h);

    it('gives gapless, strictly increasing seqs to concurrent senders', async () => {
      const { a, b, conv } = await pair();
      const sends = Array.from({ length: 40 }, (_, i) => send(i % 2 ? a.h : b.h, conv, `m${i}`));
      const seqs = (await Promise.all(sends)).map((r) => r.message!.seq).sort((x, y) => x - y);
      expect(seqs).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
      const h = await msgApi().getHistory({ conversationId: conv, afterSeq: 0, limit: 200 }, b.h);
      expect(h.messages.map((m) => m.seq)).toEqual(seqs);
      expect(h.hasMore).toBe(false);
    });

    it('cursors in the group commit: a sender has read its own sends, delivered moves forward only', async () => {
      const { a, b, conv } = await pair();
      for (let i = 0; i < 3; i++) await send(a.h, conv, `d${i}`);
      const view = async (who: typeof a) =>
        (await msgApi().getConversation({ conversationId: conv }, who.h)).conversation!;
      expect(await view(a)).toMatchObject({ readSeq: 3, deliveredSeq: 3 });
      const delivered = (seq: number) =>
        internal().markDeliveredBatch({ cursors: [{ userId: b.id, conversationId: conv, seq }] });
      await delivered(2);
      expect(await view(a)).toMatchObject({ peerDeliveredSeq: 2, peerReadSeq: 0 });
      await delivered(1); // behind: nothing moves
      expect((await view(b)).deliveredSeq).toBe(2);
      await delivered(3);
      expect(await view(b)).toMatchObject({ deliveredSeq: 3, readSeq: 0 });
      // b answers: its read cursor follows its own send, and delivered with it.
      await send(b.h, conv, 'back');
      expect(await view(b)).toMatchObject({ readSeq: 4, deliveredSeq: 4 });
      expect(await view(a)).toMatchObject({ peerReadSeq: 4, peerDeliveredSeq: 4, readSeq: 3 });
    });

    it('a retried send returns the original seq and stores one row', async () => {
      const { a, b, conv } = await pair();
      const first = await send(a.h, conv, 'hello', 'retry-1');
      const again = await send(a.h, conv, 'hello', 'retry-1');
      const raced = await Promise.all([send(a.h, conv, 'x', 'race-1'), send(a.h, conv, 'x', 'race-1')]);
      expect(again.duplicate).toBe(true);
      expect(again.message!.seq).toBe(first.message!.seq);
      expect(again.message!.id).toBe(first.message!.id);
      expect(raced[0].message!.seq).toBe(raced[1].message!.seq);
      const h = await msgApi().getHistory({ conversationId: conv, afterSeq: 0 }, b.h);
      expect(h.messages.map((m) => m.clientMsgId)).toEqual(['retry-1', 'race-1']);
      // The same client id cannot name a message in another conversation.
      await expectReason(send(a.h, (await pair()).conv, 'other conv', 'retry-1'), 'INVALID_ARGUMENT');
    });

    it('pages history in both directions', async () => {
      const { a, b, conv } = await pair();
      for (let i = 1; i <= 7; i++) await send(a.h, conv, `n${i}`);
      const newest = await msgApi().getHistory({ conversationId: conv, limit: 3 }, b.h);
      expect(newest.messages.map((m) => m.seq)).toEqual([5, 6, 7]);
      expect(newest.hasMore).toBe(true);
      const older = await msgApi().getHistory({ conversationId: conv, beforeSeq: 5, limit: 3 }, b.h);
      expect(older.messages.map((m) => m.seq)).toEqual([2, 3, 4]);
      const forward = await msgApi().getHistory({ conversationId: conv, afterSeq: 4, limit: 2 }, b.h);
      expect(forward.messages.map((m) => m.seq)).toEqual([5, 6]);
      expect(forward.hasMore).toBe(true);
      expect(forward.messages[0]!.content?.body).toEqual({
        case: 'text',
        value: expect.objectContaining({ text: 'n5' }),
      });
    });

    it('history gives back every field as stored: escapes, unicode, mentions, replies, recalls', async () => {
      const [o, m1] = [await user(), await user()];
      const gid = await group(`8${Date.now()}${Math.floor(Math.random() * 1000)}`, o, m1);
      const texts = [
        'quote " backslash \\ slash /',
        'line\nbreak\ttab',
        '你好 😀 \u2028',
        '{"text":"json-looking"}',
        '</script>',
      ];
      const acks = [];
      for (const [i, t] of texts.entries())
        acks.push(
          await msgApi().sendMessage(
            {
              conversationId: gid,
              clientMsgId: `f-${i}`,
              content: text(t),
              mentionUserIds: i === 0 ? [m1.id] : [],
              mentionAll: i === 1,
              replyToSeq: i === 2 ? 1 : 0,
            },
            o.h,
          ),
        );
      await msgApi().recallMessage({ conversationId: gid, seq: acks[3]!.message!.seq }, o.h);
      const sent = acks.map((a) => a.message!);
      const fwd = await msgApi().getHistory({ conversationId: gid, afterSeq: 0, limit: 50 }, m1.h);
      const back = await msgApi().getHistory({ conversationId: gid, limit: 50 }, m1.h);
      for (const page of [fwd, back]) {
        const mine = page.messages.filter((m) => m.senderId === o.id && m.clientMsgId.startsWith('f-'));
        expect(mine.map((m) => m.seq)).toEqual(sent.map((m) => m.seq));
        for (const [i, m] of mine.entries()) {
          const want = sent[i]!;
          expect(m.id).toBe(want.id);
          expect(m.clientMsgId).toBe(want.clientMsgId);
          expect(m.mentionUserIds).toEqual(want.mentionUserIds);
          expect(m.mentionAll).toBe(want.mentionAll);
          expect(m.replyToSeq).toBe(want.replyToSeq);
          expect(m.createdAt).toEqual(want.createdAt);
          expect(m.recalled).toBe(i === 3);
          expect(m.content?.body.value).toEqual(
            i === 3 ? undefined : expect.objectContaining({ text: texts[i] }),
          );
        }
      }
    });

    it('cuts a page of long messages at HISTORY_PAGE_BYTES and says has_more, in both directions', async () => {
      const { a, b, conv } = await pair();
      const long = 'x'.repeat(8 * 1024 - 16);
      const n = Math.ceil(HISTORY_PAGE_BYTES / long.length) + 4;
      await Promise.all(Array.from({ length: n }, (_, i) => send(a.h, conv, `${i} ${long}`)));
      const first = await msgApi().getHistory({ conversationId: conv, afterSeq: 0, limit: 200 }, b.h);
      const cut = first.messages.length;
      expect(cut).toBeLessThan(n);
      expect(cut).toBeGreaterThanOrEqual(Math.floor(HISTORY_PAGE_BYTES / (long.length + 64)));
      expect(first.hasMore).toBe(true);
      const rest = await msgApi().getHistory({ conversationId: conv, afterSeq: cut, limit: 200 }, b.h);
      expect([...first.messages, ...rest.messages].map((m) => m.seq)).toEqual(
        Array.from({ length: n }, (_, i) => i + 1),
      );
      expect(rest.hasMore).toBe(false);
      // Backward: the newest ones, closest to before_seq, stay in the page.
      const back = await msgApi().getHistory({ conversationId: conv, limit: 200 }, b.h);
      expect(back.messages.at(-1)!.seq).toBe(n);
      expect(back.messages.length).toBe(cut);
      expect(back.hasMore).toBe(true);
    });

    it('syncs conversations and heads, unread counts and read cursors', async () => {
      const { a, b, conv } = await pair();
      const s0 = await msgApi().sync({ sincePts: 0 }, b.h);
      expect(s0.conversations.map((c) => c.id)).toContain(conv);
      for (let i = 0; i < 3; i++) await send(a.h, conv, `u${i}`);
      const s1 = await msgApi().sync({ sincePts: s0.pts }, b.h);
      expect(s1.heads.find((h) => h.conversationId === conv)?.lastSeq).toBe(3);
      const c = (await msgApi().getConversation({ conversationId: conv }, b.h)).conversation!;
      expect(c.unreadCount).toBe(3);
      expect(c.peerId).toBe(a.id);
      expect(c.lastMessage?.seq).toBe(3);
      expect((await msgApi().markRead({ conversationId: conv, seq: 2 }, b.h)).unreadCount).toBe(1);
      // Cursors never move back.
      await msgApi().markRead({ conversationId: conv, seq: 1 }, b.h);
      const s2 = await msgApi().sync({ sincePts: s1.pts }, b.h);
      expect(s2.conversations.find((x) => x.id === conv)?.readSeq).toBe(2);
      const fromA = (await msgApi().getConversation({ conversationId: conv }, a.h)).conversation!;
      expect(fromA.peerReadSeq).toBe(2);
      // Hiding read receipts hides the cursor from the peer.
      await msgApi().setPrivacy({ hideReadReceipts: true }, b.h);
      expect((await msgApi().getConversation({ conversationId: conv }, a.h)).conversation!.peerReadSeq).toBe(
        0,
      );
    });

    it('recalls within the window, leaving a tombstone and a recall event', async () => {
      const { a, b, conv } = await pair();
      const m = await send(a.h, conv, 'oops');
      await expectReason(
        msgApi().recallMessage({ conversationId: conv, seq: m.message!.seq }, b.h),
        'PERMISSION_DENIED',
      );
      const r = await msgApi().recallMessage({ conversationId: conv, seq: m.message!.seq }, a.h);
      expect(r.message?.type).toBe(pb.MessageType.RECALL);
      const h = await msgApi().getHistory({ conversationId: conv, afterSeq: 0 }, b.h);
      expect(h.messages[0]!.recalled).toBe(true);
      expect(h.messages[0]!.content?.body.case).toBeUndefined();
      expect(h.messages[1]!.content?.body).toEqual({
        case: 'recall',
        value: expect.objectContaining({ seq: 1, byUserId: a.id }),
      });
      await expectReason(msgApi().recallMessage({ conversationId: conv, seq: 1 }, a.h), 'INVALID_ARGUMENT');
    });

    it('refuses sends to strangers, non-friends, blockers, and bad content', async () => {
      const { a, b, conv } = await pair();
      const c = await user();
      await expectReason(send(c.h, conv, 'hi'), 'NOT_FOUND');
      await internal().applyDirect({ userA: a.id, userB: b.id, aCanSend: false, bCanSend: false });
      await expectReason(send(a.h, conv, 'hi'), 'NOT_FRIENDS');
      await internal().applyDirect({
        userA: a.id,
        userB: b.id,
        aCanSend: false,
        aReason: 'blocked',
        bCanSend: true,
      });
      await expectReason(send(a.h, conv, 'hi'), 'BLOCKED');
      expect((await send(b.h, conv, 'still can')).message!.seq).toBe(1);
      await expectReason(send(b.h, conv, 'x'.repeat(8193)), 'MESSAGE_TOO_LONG');
      expect((await send(b.h, conv, 'é'.repeat(4096))).message!.seq).toBe(2);
      await expectReason(send(b.h, conv, '   '), 'INVALID_ARGUMENT');
      await expectReason(
        msgApi().sendMessage(
          {
            conversationId: conv,
            clientMsgId: 'img-1',
            content: create(pb.MessageContentSchema, { body: { case: 'image', value: {} } }),
          },
          b.h,
        ),
        // An image message needs 1-9 images (media messages: media.system.test.ts).
        'INVALID_ARGUMENT',
      );
      await expectReason(
        msgApi().sendMessage({ conversationId: conv, clientMsgId: 'bad id!', content: text('x') }, b.h),
        'INVALID_ARGUMENT',
      );
      await expectReason(
        msgApi().sendMessage({ conversationId: 'abc', clientMsgId: 'ok', content: text('x') }, b.h),
        'INVALID_ARGUMENT',
      );
      await expectReason(
        msgApi().sendMessage({ conversationId: conv, clientMsgId: 'ok', content: text('x') }),
        'UNAUTHENTICATED',
      );
    });

    it('groups: members join from their join point, leavers lose sending, @all needs a role', async () => {
      const [o, m1, m2] = [await user(), await user(), await user()];
      const gid = await group(`9${Date.now()}${Math.floor(Math.random() * 1000)}`, o, m1);
      await send(o.h, gid, 'before m2');
      await internal().applyGroup({
        conversationId: gid,
        name: 'G',
        members: [
          { userId: o.id, role: 3 },
          { userId: m1.id, role: 1 },
          { userId: m2.id, role: 1 },
        ],
        event: { kind: 'member_joined', args: { user_id: m2.id } },
        actorId: o.id,
      });
      const seen = await msgApi().getHistory({ conversationId: gid, afterSeq: 0 }, m2.h);
      expect(seen.messages.map((x) => x.type)).toEqual([pb.MessageType.SYSTEM]);
      await expectReason(
        msgApi().sendMessage(
          { conversationId: gid, clientMsgId: 'all-1', content: text('@all'), mentionAll: true },
          m1.h,
        ),
        'PERMISSION_DENIED',
      );
      const all = await msgApi().sendMessage(
        { conversationId: gid, clientMsgId: 'all-2', content: text('@all'), mentionAll: true },
        o.h,
      );
      expect(all.message!.mentionAll).toBe(true);
      const read = await msgApi().markRead({ conversationId: gid, seq: all.message!.seq }, m1.h);
      expect(read.unreadCount).toBe(0);
      const receipts = await msgApi().getReadReceipts({ conversationId: gid, seq: all.message!.seq }, o.h);
      expect(receipts).toMatchObject({ readCount: 1, memberCount: 2, readerIds: [m1.id] });
      await internal().applyGroup({
        conversationId: gid,
        name: 'G',
        members: [
          { userId: o.id, role: 3 },
          { userId: m2.id, role: 1 },
        ],
      });
      await expectReason(send(m1.h, gid, 'after leaving'), 'NOT_A_MEMBER');
      // History up to leaving stays readable.
      expect((await msgApi().getHistory({ conversationId: gid, afterSeq: 0 }, m1.h)).messages.length).toBe(3);
      await internal().applyGroup({
        conversationId: gid,
        name: 'G',
        mutedAll: true,
        members: [
          { userId: o.id, role: 3 },
          { userId: m2.id, role: 1 },
        ],
      });
      await expectReason(send(m2.h, gid, 'muted'), 'MUTED');
      expect((await send(o.h, gid, 'owner speaks')).message).toBeDefined();
    });
  });
}

describe('message rate limit', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ overrides: { message: { sendBurst: 5, sendRatePerSecond: 5 } } });
  });
  afterAll(() => server?.stop());

  it('refuses a flood with RATE_LIMITED and keeps every acknowledged message', async () => {
    const { a, b, conversationId } = await directChat(server);
    const msg = server.client(pb.MessageService);
    const results = await Promise.allSettled(
      Array.from({ length: 12 }, (_, i) =>
        msg.sendMessage(
          { conversationId, clientMsgId: `f${i}`, content: text(`f${i}`) },
          bearer(a.session.accessToken),
        ),
      ),
    );
    const acked = results.filter((r) => r.status === 'fulfilled');
    const limited = results.filter((r) => r.status === 'rejected');
    expect(acked.length).toBeGreaterThan(0);
    expect(limited.length).toBeGreaterThan(0);
    await expectReason(Promise.reject((limited[0] as PromiseRejectedResult).reason), 'RATE_LIMITED');
    const h = await msg.getHistory(
      { conversationId, afterSeq: 0, limit: 200 },
      bearer(b.session.accessToken),
    );
    expect(h.messages.length).toBe(acked.length);
  });
});

describe("SendMessageBatch: a gateway's sends of one turn in one internal call", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ overrides: { message: { sendBurst: 3, sendRatePerSecond: 1 } } });
  });
  afterAll(() => server?.stop());

  const who = (s: Awaited<ReturnType<typeof signUp>>) => ({
    userId: s.session.user!.id,
    sessionId: s.session.sessionId,
    clientType: 'web',
    deviceId: 'dev-1',
  });

  it('answers each send as SendMessage would, in order: stored, retried, refused, malformed, anonymous', async () => {
    const { api, a, b, conversationId } = await directChat(server);
    const outsider = await signUp(server, api);
    const internal = server.app.value('rpc').client(pb.MessageInternalService);
    const msg = server.client(pb.MessageService);
    const send = (clientMsgId: string, t = 'hi', conv = conversationId) =>
      create(pb.SendMessageRequestSchema, { conversationId: conv, clientMsgId, content: text(t) });
    const { results } = await internal.sendMessageBatch({
      sends: [
        { ...who(a), requestId: 'r-1', request: send('b-1') },
        { ...who(a), requestId: 'r-2', request: send('b-1') }, // a retry of the one before
        { ...who(outsider), requestId: 'r-3', request: send('b-2') }, // not a member
        { ...who(b), requestId: 'r-4', request: send('b-3', 'x', 'not-an-id') },
        { ...who(b), requestId: 'r-5', request: send('b-4', '   ') }, // empty text
        { userId: '', sessionId: '', clientType: '', deviceId: '', requestId: 'r-6', request: send('b-5') },
        { ...who(b), requestId: 'r-7', request: send('b-6', 'back') },
      ],
    });
    expect(results.map((r) => r.result.case)).toEqual([
      'ack',
      'ack',
      'error',
      'error',
      'error',
      'error',
      'ack',
    ]);
    const ack = (i: number) => results[i]!.result.value as pb.SendMessageResponse;
    expect(ack(0).message).toMatchObject({ seq: 1, clientMsgId: 'b-1', senderId: a.session.user!.id });
    expect(ack(1)).toMatchObject({ duplicate: true, message: { seq: 1 } });
    expect(ack(6).message).toMatchObject({ seq: 2, senderId: b.session.user!.id });

    // The same reasons SendMessage gives for the same sends.
    const reason = (i: number) => (results[i]!.result.value as pb.BatchedSendError).info?.reason;
    const viaUnary = async (s: Awaited<ReturnType<typeof signUp>>, req: pb.SendMessageRequest) => {
      try {
        await msg.sendMessage(req, bearer(s.session.accessToken));
        return 'stored';
      } catch (err) {
        return errorInfoOf(err)?.reason;
      }
    };
    expect(reason(2)).toBe(await viaUnary(outsider, send('u-2')));
    expect(reason(3)).toBe('INVALID_ARGUMENT');
    expect(reason(3)).toBe(await viaUnary(b, send('u-3', 'x', 'not-an-id')));
    expect((results[3]!.result.value as pb.BatchedSendError).info?.field).toBe('conversationId');
    expect(reason(4)).toBe(await viaUnary(b, send('u-4', '   ')));
    expect(reason(5)).toBe('UNAUTHENTICATED');

    const h = await msg.getHistory({ conversationId, afterSeq: 0, limit: 50 }, bearer(b.session.accessToken));
    expect(h.messages.map((m) => m.clientMsgId)).toEqual(['b-1', 'b-6']);
  });

  it("applies each sender's rate limit to the sends of a batch", async () => {
    const { a, conversationId } = await directChat(server);
    const internal = server.app.value('rpc').client(pb.MessageInternalService);
    const { results } = await internal.sendMessageBatch({
      sends: Array.from({ length: 5 }, (_, i) => ({
        ...who(a),
        requestId: `rl-${i}`,
        request: create(pb.SendMessageRequestSchema, {
          conversationId,
          clientMsgId: `rl-${i}`,
          content: text('x'),
        }),
      })),
    });
    const errs = results.filter((r) => r.result.case === 'error');
    expect(results.length - errs.length).toBe(3); // the burst
    expect(errs.map((r) => (r.result.value as pb.BatchedSendError).info?.reason)).toEqual([
      'RATE_LIMITED',
      'RATE_LIMITED',
    ]);
  });

  it('refuses more than 256 sends in one call', async () => {
    const internal = server.app.value('rpc').client(pb.MessageInternalService);
    await expect(
      internal.sendMessageBatch({
        sends: Array.from({ length: 257 }, (_, i) => ({ requestId: `o-${i}` })),
      }),
    ).rejects.toMatchObject({ rawMessage: expect.stringContaining('at most 256') });
  });
});

describe('message rate limit over ten seconds', () => {
  let server: TestServer;
  // A clock that stands still: the ten-second window cannot roll over during the test.
  const at = Math.floor(Date.now() / 10_000) * 10_000 + 2_000;
  beforeAll(async () => {
    server = await startTestServer({
      clock: { now: () => at },
      overrides: { message: { sendBurst: 100, sendRatePerSecond: 1 } },
    });
  });
  afterAll(() => server?.stop());

  it('refuses the 11th message in ten seconds when the burst would still allow it', async () => {
    const { a, conversationId } = await directChat(server);
    const msg = server.client(pb.MessageService);
    const send = (i: number) =>
      msg.sendMessage(
        { conversationId, clientMsgId: `s${i}`, content: text(`s${i}`) },
        bearer(a.session.accessToken),
      );
    for (let i = 0; i < 10; i++) expect((await send(i)).message?.seq).toBeGreaterThan(0);
    await expectReason(send(10), 'RATE_LIMITED');
  });
});

describe('receipts pushed to senders', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server?.stop());

  it('a reply counts as reading what came before it, and the peer is told at once', async () => {
    const { connectAuthed } = await import('../../gateway/ws/ws.test-helpers.js');
    const { a, b, conversationId } = await directChat(server);
    const msg = server.client(pb.MessageService);
    const aSocket = await connectAuthed(server, a.session.accessToken);
    await msg.sendMessage(
      { conversationId, clientMsgId: 'a1', content: text('hi') },
      bearer(a.session.accessToken),
    );
    await msg.sendMessage(
      { conversationId, clientMsgId: 'b1', content: text('hello') },
      bearer(b.session.accessToken),
    );
    const { frame } = await aSocket.next((f) => f.body.case === 'receipt');
    expect(frame.body.value).toMatchObject({
      conversationId,
      userId: b.session.user!.id,
      readSeq: 2,
      deliveredSeq: 2,
    });
    aSocket.ws.close();
  });

  it('MarkDeliveredBatch (gateways gather fire-and-forget acks) moves each user cursor and tells the sender; refused ones are counted, not fatal', async () => {
    const { connectAuthed } = await import('../../gateway/ws/ws.test-helpers.js');
    const { api, a, b, conversationId } = await directChat(server);
    const c = await signUp(server, api);
    const internal = server.app.value('rpc').client(pb.MessageInternalService);
    const msg = server.client(pb.MessageService);
    const sent = await msg.sendMessage(
      { conversationId, clientMsgId: 'batch-1', content: text('hi') },
      bearer(a.session.accessToken),
    );
    const aSocket = await connectAuthed(server, a.session.accessToken);
    const seq = sent.message!.seq;
    const r = await internal.markDeliveredBatch({
      cursors: [
        { userId: b.session.user!.id, conversationId, seq },
        { userId: c.session.user!.id, conversationId, seq }, // not a member
        { userId: b.session.user!.id, conversationId: 'nope', seq }, // not an id
        { userId: 'x', conversationId, seq }, // not a user id
      ],
    });
    expect(r.refused).toBe(3);
    const { frame } = await aSocket.next((f) => f.body.case === 'receipt');
    expect(frame.body.value).toMatchObject({ conversationId, userId: b.session.user!.id, deliveredSeq: seq });
    const view = await msg.getConversation({ conversationId }, bearer(b.session.accessToken));
    expect(view.conversation?.deliveredSeq).toBe(seq);
    await expect(
      internal.markDeliveredBatch({
        cursors: Array.from({ length: 1001 }, () => ({ userId: b.session.user!.id, conversationId, seq })),
      }),
    ).rejects.toMatchObject({ rawMessage: expect.stringContaining('at most 1000') });
    aSocket.ws.close();
  });
});

describe('group read receipts: pushed in small groups only', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ overrides: { message: { groupReceiptPushMaxMembers: 2 } } });
  });
  afterAll(() => server?.stop());

  it('a read in a group over the limit pushes nothing; GetReadReceipts still counts it', async () => {
    const { connectAuthed } = await import('../../gateway/ws/ws.test-helpers.js');
    const api = server.client(auth.AuthService);
    const [a, b, c] = [await signUp(server, api), await signUp(server, api), await signUp(server, api)];
    const internal = server.app.value('rpc').client(pb.MessageInternalService);
    const member = (s: typeof a, role = 1) => ({ userId: s.session.user!.id, role });
    const big = `8${Date.now()}`;
    const small = `9${Date.now()}`;
    await internal.applyGroup({
      conversationId: big,
      name: 'big',
      members: [member(a, 2), member(b), member(c)],
    });
    await internal.applyGroup({ conversationId: small, name: 'small', members: [member(a, 2), member(b)] });
    const msg = server.client(pb.MessageService);
    const ha = bearer(a.session.accessToken);
    const hb = bearer(b.session.accessToken);
    const inBig = await msg.sendMessage(
      { conversationId: big, clientMsgId: 'big-1', content: text('x') },
      ha,
    );
    const inSmall = await msg.sendMessage(
      { conversationId: small, clientMsgId: 'sm-1', content: text('y') },
      ha,
    );
    const aSocket = await connectAuthed(server, a.session.accessToken);
    await msg.markRead({ conversationId: big, seq: inBig.message!.seq }, hb);
    await msg.markRead({ conversationId: small, seq: inSmall.message!.seq }, hb);
    // Pushes to one user arrive in order: the first receipt is the small group's.
    const { frame } = await aSocket.next((f) => f.body.case === 'receipt');
    expect(frame.body.value).toMatchObject({ conversationId: small, userId: b.session.user!.id });
    const counted = await msg.getReadReceipts({ conversationId: big, seq: inBig.message!.seq }, ha);
    expect(counted).toMatchObject({ readCount: 1, memberCount: 2, readerIds: [b.session.user!.id] });
    aSocket.ws.close();
  });
});

describe('recall window (clock under test control)', () => {
  let server: TestServer;
  let now = Date.now();
  beforeAll(async () => {
    server = await startTestServer({ clock: { now: () => now } });
  });
  afterAll(() => server?.stop());

  it('refuses a recall after 2 minutes, but a group admin may still recall', async () => {
    const { a, b, conversationId } = await directChat(server);
    const internal = server.app.value('rpc').client(pb.MessageInternalService);
    const msg = server.client(pb.MessageService);
    const ha = bearer(a.session.accessToken);
    const sent = await msg.sendMessage(
      { conversationId, clientMsgId: 'late-1', content: text('too late') },
      ha,
    );
    now += 121_000;
    await expectReason(
      msg.recallMessage({ conversationId, seq: sent.message!.seq }, ha),
      'RECALL_WINDOW_PASSED',
    );

    const gid = `7${Date.now()}`;
    await internal.applyGroup({
      conversationId: gid,
      name: 'G',
      members: [
        { userId: a.session.user!.id, role: 1 },
        { userId: b.session.user!.id, role: 2 },
      ],
    });
    const g = await msg.sendMessage({ conversationId: gid, clientMsgId: 'g-late', content: text('old') }, ha);
    now += 3_600_000;
    const r = await msg.recallMessage(
      { conversationId: gid, seq: g.message!.seq },
      bearer(b.session.accessToken),
    );
    expect(r.message?.content?.body).toMatchObject({ case: 'recall', value: { seq: g.message!.seq } });
  });
});
