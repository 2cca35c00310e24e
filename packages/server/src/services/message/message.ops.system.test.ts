import { create, fromBinary } from '@bufbuild/protobuf';
import { timestampMs } from '@bufbuild/protobuf/wkt';
import { auth, gateway, message as pb } from '@mychat/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, expectReason, signUp } from '../../../test/helpers/auth-helpers.js';
import { backendAvailable, backendUrls, uniqueName } from '../../../test/helpers/backends.js';
import { createTestDatabaseUrl, dropTestDatabase } from '../../../test/helpers/sql-databases.js';
import { eventually } from '../../../test/helpers/eventually.js';
import { startTestServer, type TestServer } from '../../../test/helpers/test-server.js';
import { decodePushEnvelope, userChannel } from '../../contracts/push-envelope.js';

/**
 * Reactions, edits and pins through the public MessageService of a real server, on every SQL
 * engine: each change is a seq'd message, the aggregates come with history, and the
 * attacker's cases (strangers, other people's messages, caps, plain members) are refused.
 */
const setups = [
  { name: 'SQLite + memory', engine: 'sqlite' as const, redis: false },
  { name: 'MariaDB + Redis', engine: 'mysql' as const, redis: true },
  { name: 'PostgreSQL + Redis', engine: 'postgres' as const, redis: true },
];

const text = (t: string) => create(pb.MessageContentSchema, { body: { case: 'text', value: { text: t } } });
const EMOJI = [...'😀😁😂🤣😃😄😅😆😉😊😋😎😍😘🥰😗😙🥲😚🙂🤗'];

for (const setup of setups) {
  const ok =
    (setup.engine === 'sqlite' || (await backendAvailable(setup.engine))) &&
    (!setup.redis || (await backendAvailable('redis')));
  describe.skipIf(!ok)(`reactions, edits and pins on ${setup.name}`, () => {
    let server: TestServer;
    let sqlUrl: string | undefined;
    let now = Date.now();
    const msg = () => server.client(pb.MessageService);
    const internal = () => server.app.value('rpc').client(pb.MessageInternalService);

    beforeAll(async () => {
      sqlUrl = setup.engine === 'sqlite' ? undefined : await createTestDatabaseUrl(setup.engine);
      server = await startTestServer({
        sqlUrl,
        redisUrl: setup.redis ? backendUrls.redis : undefined,
        redisPrefix: uniqueName('ops') + ':',
        clock: { now: () => now },
        overrides: { message: { sendBurst: 1000, sendRatePerSecond: 1000, editWindowSeconds: 600 } },
      });
    });
    afterAll(async () => {
      await server?.stop();
      if (sqlUrl) await dropTestDatabase(sqlUrl);
    });

    async function user() {
      const { session } = await signUp(server, server.client(auth.AuthService));
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
    let n = 0;
    const send = async (conv: string, who: { h: ReturnType<typeof bearer> }, t = 'hi') =>
      (await msg().sendMessage({ conversationId: conv, clientMsgId: `m-${++n}`, content: text(t) }, who.h))
        .message!;
    const conversation = async (conv: string, who: { h: ReturnType<typeof bearer> }) =>
      (await msg().getConversation({ conversationId: conv }, who.h)).conversation!;

    it('a reaction is a silent seq: counts on history, retries and repeats change nothing, no unread', async () => {
      const { a, b, conv } = await pair();
      const m = await send(conv, a);
      const react = (emoji: string, id: string, remove = false) =>
        msg().reactToMessage({ conversationId: conv, seq: m.seq, emoji, clientMsgId: id, remove }, b.h);
      const first = await react('👍', 'r-1');
      expect(first.message!.type).toBe(pb.MessageType.REACTION);
      expect(first.message!.seq).toBe(m.seq + 1);
      expect(first.reactions.map((r) => [r.emoji, r.count, r.mine])).toEqual([['👍', 1, true]]);
      // The retry gets the same message back; another request for the same reaction writes nothing.
      expect((await react('👍', 'r-1')).message!.seq).toBe(first.message!.seq);
      const again = await react('👍', 'r-2');
      expect(again.message).toBeUndefined();
      expect(again.reactions[0]!.count).toBe(1);
      await expectReason(react('❤️', 'r-1'), 'INVALID_ARGUMENT'); // the id names another reaction
      await msg().reactToMessage({ conversationId: conv, seq: m.seq, emoji: '👍', clientMsgId: 'ra-1' }, a.h);

      const page = await msg().getHistory({ conversationId: conv, limit: 50 }, a.h);
      const target = page.messages.find((x) => x.seq === m.seq)!;
      expect(target.reactions.map((r) => [r.emoji, r.count, r.mine])).toEqual([['👍', 2, true]]);
      const event = page.messages.find((x) => x.seq === first.message!.seq)!;
      expect(event.content!.body.case).toBe('reaction');
      // The sender is not told of unread messages, and the list still previews the message.
      const seen = await conversation(conv, a);
      expect(seen.unreadCount).toBe(0);
      expect(seen.lastMessage!.seq).toBe(m.seq);
      const bs = await conversation(conv, b);
      expect(bs.lastSeq).toBe(m.seq + 2);
      expect(bs.unreadCount).toBe(1); // a's text only
      expect((await msg().markRead({ conversationId: conv, seq: m.seq }, b.h)).unreadCount).toBe(0);

      const removed = await react('👍', 'r-3', true);
      expect(removed.message!.content!.body.case).toBe('reaction');
      expect(removed.reactions.map((r) => [r.count, r.mine])).toEqual([[1, false]]);
      const body = removed.message!.content!.body;
      if (body.case !== 'reaction') throw new Error('not a reaction');
      expect(body.value.counts.map((c) => c.count)).toEqual([1]);
    });

    it('refuses strangers, bad emoji, recalled messages and the 21st distinct emoji', async () => {
      const { a, b, conv } = await pair();
      const stranger = await user();
      const m = await send(conv, a);
      const react = (who: { h: ReturnType<typeof bearer> }, emoji: string, seq = m.seq) =>
        msg().reactToMessage({ conversationId: conv, seq, emoji, clientMsgId: `x-${++n}` }, who.h);
      await expectReason(react(stranger, '👍'), 'NOT_FOUND');
      await expectReason(react(b, 'a'), 'INVALID_ARGUMENT');
      await expectReason(react(b, '👍👍👍👍👍👍👍👍👍👍👍'), 'INVALID_ARGUMENT');
      await expectReason(react(b, '👍', 999), 'NOT_FOUND');
      // Nobody writes the events themself through SendMessage (a forged reaction, edit or pin).
      for (const body of [
        {
          case: 'reaction' as const,
          value: { seq: m.seq, emoji: '👍', counts: [{ emoji: '👍', count: 99 }] },
        },
        { case: 'edit' as const, value: { seq: m.seq, text: 'forged' } },
        { case: 'pin' as const, value: { seq: m.seq } },
      ])
        await expectReason(
          msg().sendMessage(
            {
              conversationId: conv,
              clientMsgId: `f-${++n}`,
              content: create(pb.MessageContentSchema, { body }),
            },
            b.h,
          ),
          'UNSUPPORTED_MESSAGE_TYPE',
        );
      await expectReason(react(b, '👍', 0), 'INVALID_ARGUMENT');
      for (let i = 0; i < 20; i++) {
        now += 100; // within the per-second limit
        await react(i % 2 ? a : b, EMOJI[i]!);
      }
      now += 1000;
      await expectReason(react(b, EMOJI[20]!), 'REACTION_LIMIT');
      await react(a, EMOJI[0]!); // one already there is fine
      const r = await msg().recallMessage({ conversationId: conv, seq: m.seq }, a.h);
      await expectReason(react(b, '👍'), 'MESSAGE_RECALLED');
      await expectReason(react(b, '👍', r.message!.seq), 'NOT_FOUND'); // events take no reactions
    });

    it('only members who can see a message react: not before their join, not after leaving; rate limited', async () => {
      const [owner, early, late] = [await user(), await user(), await user()];
      const gid = `${BigInt(owner.id) + 11n}`;
      const members = (...list: { id: string }[]) =>
        internal().applyGroup({
          conversationId: gid,
          name: 'G',
          members: [{ userId: owner.id, role: 3 }, ...list.map((m) => ({ userId: m.id, role: 1 }))],
        });
      await members(early);
      const before = await send(gid, owner, 'before you came');
      await members(early, late);
      const after = await send(gid, owner, 'now');
      const react = (who: { h: ReturnType<typeof bearer> }, seq: number, emoji = '👍') =>
        msg().reactToMessage({ conversationId: gid, seq, emoji, clientMsgId: `g-${++n}` }, who.h);
      await expectReason(react(late, before.seq), 'NOT_FOUND');
      await react(late, after.seq);
      await members(late); // early leaves
      await expectReason(react(early, after.seq, '🎉'), 'NOT_A_MEMBER');
      now += 1000;
      for (let i = 0; i < 10; i++) await react(late, after.seq, EMOJI[i]!);
      await expectReason(react(late, after.seq, EMOJI[10]!), 'RATE_LIMITED');
      now += 1000;
      await react(late, after.seq, EMOJI[10]!);
    });

    it('edits: the sender within the window, an edited mark, never others or recalled texts', async () => {
      const { a, b, conv } = await pair();
      const m = await send(conv, a, 'helo');
      const edit = (who: { h: ReturnType<typeof bearer> }, t: string, seq = m.seq) =>
        msg().editMessage({ conversationId: conv, seq, text: t }, who.h);
      const r = await edit(a, 'hello');
      expect(r.message!.type).toBe(pb.MessageType.EDIT);
      expect(r.edited!.content!.body.value).toMatchObject({ text: 'hello' });
      expect(timestampMs(r.edited!.editedAt!)).toBe(now);
      const page = await msg().getHistory({ conversationId: conv, limit: 50 }, b.h);
      const shown = page.messages.find((x) => x.seq === m.seq)!;
      expect(shown.content!.body.value).toMatchObject({ text: 'hello' });
      expect(shown.editedAt).toBeDefined();
      expect((await conversation(conv, b)).unreadCount).toBe(1);

      await expectReason(edit(b, 'mine now'), 'PERMISSION_DENIED');
      await expectReason(edit(a, '   '), 'INVALID_ARGUMENT');
      await expectReason(edit(a, 'x'.repeat(9000)), 'MESSAGE_TOO_LONG');
      await expectReason(edit(await user(), 'x'), 'NOT_FOUND');
      now += 601_000;
      await expectReason(edit(a, 'too late'), 'EDIT_WINDOW_PASSED');

      // A recall takes the edited text out of the EDIT message as well.
      const fresh = await send(conv, a, 'secret one');
      await edit(a, 'secret two', fresh.seq);
      await msg().recallMessage({ conversationId: conv, seq: fresh.seq }, a.h);
      await expectReason(edit(a, 'back', fresh.seq), 'MESSAGE_RECALLED');
      const after = await msg().getHistory({ conversationId: conv, afterSeq: fresh.seq - 1, limit: 50 }, b.h);
      expect(JSON.stringify(after.messages.map((x) => x.content))).not.toContain('secret');
    });

    it('an edit reaches only those who may read the message: not who joined later, cleared or deleted it', async () => {
      const [owner, keeps, late, clears, hides] = [
        await user(),
        await user(),
        await user(),
        await user(),
        await user(),
      ];
      const gid = `${BigInt(owner.id) + 13n}`;
      const group = (...list: { id: string }[]) =>
        internal().applyGroup({
          conversationId: gid,
          name: 'G',
          members: [{ userId: owner.id, role: 3 }, ...list.map((m) => ({ userId: m.id, role: 1 }))],
        });
      await group(keeps, clears, hides);
      const m = await send(gid, owner, 'first draft');
      await group(keeps, clears, hides, late);
      await msg().clearHistory({ conversationId: gid }, clears.h);
      await msg().hideMessages({ conversationId: gid, seqs: [m.seq] }, hides.h);
      const pushed = new Map<string, string>();
      const bus = server.app.value('bus');
      const who = { keeps, late, clears, hides };
      const subs = await Promise.all(
        Object.entries(who).map(([name, u]) =>
          bus.subscribe(userChannel(u.id), (payload) => {
            const frame = fromBinary(gateway.ServerFrameSchema, decodePushEnvelope(payload).frame);
            if (frame.body.case === 'message' && frame.body.value.type === pb.MessageType.EDIT)
              pushed.set(name, JSON.stringify(frame.body.value.content));
          }),
        ),
      );
      try {
        const r = await msg().editMessage(
          { conversationId: gid, seq: m.seq, text: 'the secret plan' },
          owner.h,
        );
        const seq = r.message!.seq;
        await eventually(
          async () => pushed.size,
          (n) => n === 4,
        );
        for (const [name, u] of Object.entries(who)) {
          const page = await msg().getHistory({ conversationId: gid, afterSeq: seq - 1, limit: 5 }, u.h);
          const event = page.messages.find((x) => x.seq === seq)!;
          expect(event.content!.body).toMatchObject({ case: 'edit', value: { seq: m.seq } });
          const sees = name === 'keeps';
          // The whole event for who may read the message; only the seq it names for the others.
          expect(JSON.stringify(event.content).includes('the secret plan'), name).toBe(sees);
          expect(pushed.get(name)!.includes('the secret plan'), name).toBe(sees);
        }
      } finally {
        await Promise.all(subs.map((s) => s.unsubscribe()));
      }
    });

    it('pins: owners and admins in groups, both in 1:1, at most 50, a bar everyone sees', async () => {
      const [owner, admin, member] = [await user(), await user(), await user()];
      const gid = `${BigInt(owner.id) + 7n}`;
      await internal().applyGroup({
        conversationId: gid,
        name: 'G',
        members: [
          { userId: owner.id, role: 3 },
          { userId: admin.id, role: 2 },
          { userId: member.id, role: 1 },
        ],
      });
      const m = await send(gid, member);
      const pin = (who: { h: ReturnType<typeof bearer> }, seq: number, unpin = false) =>
        msg().pinMessage({ conversationId: gid, seq, unpin }, who.h);
      await expectReason(pin(member, m.seq), 'PERMISSION_DENIED');
      const r = await pin(admin, m.seq);
      expect(r.message!.type).toBe(pb.MessageType.PIN);
      expect(r.pinnedSeqs).toEqual([m.seq]);
      expect((await pin(owner, m.seq)).message).toBeUndefined(); // already pinned
      expect((await conversation(gid, member)).pinnedSeqs).toEqual([m.seq]);
      const listed = await msg().listPinnedMessages({ conversationId: gid }, member.h);
      expect(listed.messages.map((x) => x.seq)).toEqual([m.seq]);
      await expectReason(msg().listPinnedMessages({ conversationId: gid }, (await user()).h), 'NOT_FOUND');
      expect((await pin(owner, m.seq, true)).pinnedSeqs).toEqual([]);

      const { a, b, conv } = await pair();
      const seqs: number[] = [];
      for (let i = 0; i < 51; i++) seqs.push((await send(conv, i % 2 ? a : b)).seq);
      for (let i = 0; i < 50; i++) {
        now += 200;
        await msg().pinMessage({ conversationId: conv, seq: seqs[i]! }, i % 2 ? a.h : b.h);
      }
      now += 1000;
      await expectReason(msg().pinMessage({ conversationId: conv, seq: seqs[50]! }, a.h), 'PIN_LIMIT');
      expect((await conversation(conv, b)).pinnedSeqs).toHaveLength(50);
      // A recall unpins.
      await msg().recallMessage({ conversationId: conv, seq: seqs[49]! }, a.h);
      expect((await conversation(conv, a)).pinnedSeqs).not.toContain(seqs[49]);
    });
  });
}
