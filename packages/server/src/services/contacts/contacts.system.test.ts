import { Code, ConnectError } from '@connectrpc/connect';
import { auth, contacts } from '@mychat/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  device,
  expectReason,
  PASSWORD,
  uniqueEmail,
  uniquePhone,
} from '../../../test/helpers/auth-helpers.js';
import {
  befriend,
  CONTACTS_SETUPS,
  friendIds,
  newUser,
  sendText,
  setupAvailable,
  startContactsEnv,
  type ContactsClient,
  type ContactsEnv,
} from '../../../test/helpers/contacts-helpers.js';

const { FriendRequestState: S } = contacts;

/** People: search, friend requests, friends, remarks, blocks, through the public edge. */
for (const setup of CONTACTS_SETUPS) {
  const ok = await setupAvailable(setup);

  describe.skipIf(!ok)(`contacts on ${setup.name}`, () => {
    let env: ContactsEnv;
    let api: ContactsClient;
    const user = (nickname?: string) => newUser(env, nickname);

    beforeAll(async () => {
      env = await startContactsEnv(setup);
      api = env.api;
    });
    afterAll(() => env?.stop());

    it('finds people by exact email, phone, id and by nickname prefix', async () => {
      const tag = `Qz${Math.random().toString(36).slice(2, 8)}`;
      const a = await newUser(env, `${tag}Alice`, uniqueEmail('Alice'));
      const b = await user(`${tag}Bob`);
      await user(`x${tag}`); // contains the tag but does not start with it
      const phone = uniquePhone();
      await env.authApi.sendVerificationCode({
        destination: { case: 'phone', value: phone },
        purpose: 'register',
        locale: 'en',
      });
      const reg = await env.authApi.register({
        destination: { case: 'phone', value: phone },
        code: await env.server.codeFor(phone),
        password: PASSWORD,
        nickname: 'Phoebe',
        device: device(),
      });
      const ids = async (query: string) =>
        (await api.searchUsers({ query, limit: 0 }, b.h)).users.map((u) => u.id).sort();

      expect(await ids(a.email.toUpperCase())).toEqual([a.id]);
      expect(await ids(phone)).toEqual([reg.session!.user!.id]);
      expect(await ids(b.id)).toEqual([b.id]);
      expect(await ids(tag.toLowerCase())).toEqual([a.id, b.id].sort());
      expect(await ids(`${tag}Al`)).toEqual([a.id]);
      expect(await ids('Q')).toEqual([]); // one character is too short a prefix
      expect(await ids('%')).toEqual([]);
      expect(await ids(`${tag.slice(0, 2)}%${tag.slice(3)}`)).toEqual([]); // % is not a wildcard
      expect(await ids('nobody-here@example.com')).toEqual([]);
      expect((await api.searchUsers({ query: tag, limit: 1 }, b.h)).users).toHaveLength(1);
      const card = (await api.searchUsers({ query: a.id, limit: 0 }, b.h)).users[0]!;
      expect(card.nickname).toBe(`${tag}Alice`);

      // The directory behind search answers public fields only.
      const directory = env.server.app.value('rpc').client(auth.UserDirectoryService);
      for (const query of [a.email, phone, tag]) {
        const found = (await directory.findUsers({ query, limit: 0 })).users;
        expect(found.length).toBeGreaterThan(0);
        for (const u of found) expect([u.email, u.phone]).toEqual(['', '']);
      }
      const looked = await directory.lookupUsers({ userIds: [a.id, reg.session!.user!.id, '424242'] });
      expect(looked.users.map((u) => [u.email, u.phone])).toEqual([
        ['', ''],
        ['', ''],
      ]);
    });

    it('sends, lists and accepts a friend request; both sides see the friendship', async () => {
      const [a, b] = [await user('Ann'), await user('Ben')];
      const sent = await api.sendFriendRequest({ userId: b.id, note: 'hi, it is Ann' }, a.h);
      expect(sent.becameFriends).toBe(false);
      expect(sent.request?.state).toBe(S.PENDING);
      const inbox = await api.listFriendRequests({}, b.h);
      expect(inbox.incoming.map((r) => [r.id, r.note, r.from?.nickname])).toEqual([
        [sent.request!.id, 'hi, it is Ann', 'Ann'],
      ]);
      expect((await api.listFriendRequests({}, a.h)).outgoing.map((r) => r.state)).toEqual([S.PENDING]);

      const res = await api.respondFriendRequest({ requestId: sent.request!.id, action: 'accept' }, b.h);
      expect(res.conversationId).toMatch(/^\d+$/);
      const fa = (await api.listFriends({}, a.h)).friends;
      expect(fa.map((f) => [f.user?.id, f.conversationId])).toEqual([[b.id, res.conversationId]]);
      expect(Number(fa[0]!.since!.seconds)).toBeGreaterThan(Date.now() / 1000 - 60);
      expect(await friendIds(api, b)).toEqual([a.id]);
      expect((await api.listFriendRequests({}, b.h)).incoming).toEqual([]);
      // Accepting again is harmless and answers the same chat.
      const again = await api.respondFriendRequest({ requestId: sent.request!.id, action: 'accept' }, b.h);
      expect(again.conversationId).toBe(res.conversationId);
      await expectReason(api.sendFriendRequest({ userId: b.id, note: '' }, a.h), 'ALREADY_FRIENDS');
      await expectReason(api.sendFriendRequest({ userId: a.id, note: '' }, b.h), 'ALREADY_FRIENDS');
    });

    it('declines (the sender sees it) and ignores (the sender keeps waiting)', async () => {
      const [a, b, c] = [await user(), await user(), await user()];
      const toB = await api.sendFriendRequest({ userId: b.id, note: '' }, a.h);
      await api.respondFriendRequest({ requestId: toB.request!.id, action: 'decline' }, b.h);
      expect((await api.listFriendRequests({}, a.h)).outgoing.map((r) => r.state)).toEqual([S.DECLINED]);
      expect((await api.listFriendRequests({}, b.h)).incoming).toEqual([]);
      await expectReason(
        api.respondFriendRequest({ requestId: toB.request!.id, action: 'accept' }, b.h),
        'NOT_FOUND',
      );

      const toC = await api.sendFriendRequest({ userId: c.id, note: '' }, a.h);
      await api.respondFriendRequest({ requestId: toC.request!.id, action: 'ignore' }, c.h);
      const out = (await api.listFriendRequests({}, a.h)).outgoing;
      expect(out.find((r) => r.id === toC.request!.id)?.state).toBe(S.PENDING);
      expect((await api.listFriendRequests({}, c.h)).incoming).toEqual([]);
      // An ignored request can still be accepted later.
      await api.respondFriendRequest({ requestId: toC.request!.id, action: 'accept' }, c.h);
      expect(await friendIds(api, a)).toEqual([c.id]);

      // Asking again after a decline reopens the one request.
      const again = await api.sendFriendRequest({ userId: b.id, note: 'please?' }, a.h);
      expect(again.request?.id).toBe(toB.request!.id);
      expect((await api.listFriendRequests({}, b.h)).incoming.map((r) => r.note)).toEqual(['please?']);
    });

    it('a second request updates the first; asking someone who asked you makes you friends', async () => {
      const [a, b] = [await user(), await user()];
      const first = await api.sendFriendRequest({ userId: b.id, note: 'one' }, a.h);
      const second = await api.sendFriendRequest({ userId: b.id, note: 'two' }, a.h);
      expect(second.request?.id).toBe(first.request?.id);
      expect((await api.listFriendRequests({}, b.h)).incoming.map((r) => r.note)).toEqual(['two']);

      const back = await api.sendFriendRequest({ userId: a.id, note: '' }, b.h);
      expect(back.becameFriends).toBe(true);
      expect(back.request?.state).toBe(S.ACCEPTED);
      expect(await friendIds(api, a)).toEqual([b.id]);
      expect((await api.listFriends({}, b.h)).friends[0]?.conversationId).toMatch(/^\d+$/);
      expect((await api.listFriendRequests({}, a.h)).incoming).toEqual([]);
    });

    it('refuses requests to yourself, to unknown users, and answers only to the recipient', async () => {
      const [a, b, c] = [await user(), await user(), await user()];
      await expectReason(api.sendFriendRequest({ userId: a.id, note: '' }, a.h), 'CANNOT_TARGET_SELF');
      await expectReason(api.sendFriendRequest({ userId: '1234567', note: '' }, a.h), 'NOT_FOUND');
      const r = await api.sendFriendRequest({ userId: b.id, note: '' }, a.h);
      await expectReason(
        api.respondFriendRequest({ requestId: r.request!.id, action: 'accept' }, c.h),
        'NOT_FOUND',
      );
      await expectReason(
        api.respondFriendRequest({ requestId: r.request!.id, action: 'accept' }, a.h),
        'NOT_FOUND',
      );
      await expectReason(
        api.respondFriendRequest({ requestId: r.request!.id, action: 'maybe' }, b.h),
        'INVALID_ARGUMENT',
      );
      expect(await friendIds(api, a)).toEqual([]);
    });

    it('keeps a private remark per side, and deleting a friend ends it for both', async () => {
      const [a, b] = [await user('Ann'), await user('Ben')];
      await befriend(api, a, b);
      await api.setRemark({ userId: b.id, remark: ' Benny from work ' }, a.h);
      expect((await api.listFriends({}, a.h)).friends[0]?.remark).toBe('Benny from work');
      expect((await api.listFriends({}, b.h)).friends[0]?.remark).toBe('');
      await expectReason(api.setRemark({ userId: b.id, remark: 'x'.repeat(33) }, a.h), 'FIELD_TOO_LONG');
      await api.setRemark({ userId: b.id, remark: '小'.repeat(32) }, a.h);
      await api.setRemark({ userId: b.id, remark: '' }, a.h);
      expect((await api.listFriends({}, a.h)).friends[0]?.remark).toBe('');

      await api.deleteFriend({ userId: a.id }, b.h);
      expect(await friendIds(api, a)).toEqual([]);
      expect(await friendIds(api, b)).toEqual([]);
      await expectReason(api.deleteFriend({ userId: a.id }, b.h), 'NOT_FRIENDS');
      await expectReason(api.setRemark({ userId: b.id, remark: 'x' }, a.h), 'NOT_FRIENDS');
      // They can become friends again.
      await befriend(api, b, a);
      expect(await friendIds(api, a)).toEqual([b.id]);
    });

    it('blocking refuses requests, hides the blocker, keeps the friendship, and leaves presence', async () => {
      const [a, b, c] = [await user('Ann'), await user('Ben'), await user('Cat')];
      await befriend(api, a, b);
      await befriend(api, b, c);
      const internal = env.server.app.value('rpc').client(contacts.ContactsInternalService);
      const audience = async (u: { id: string }) =>
        (await internal.listPresenceAudience({ userId: u.id })).userIds.sort();
      expect(await audience(b)).toEqual([a.id, c.id].sort());

      await api.blockUser({ userId: a.id }, b.h);
      await api.blockUser({ userId: a.id }, b.h); // twice is fine
      expect((await api.listBlocked({}, b.h)).users.map((u) => u.id)).toEqual([a.id]);
      expect(await audience(b)).toEqual([c.id]);
      expect(await audience(a)).toEqual([]);
      expect(await friendIds(api, b)).toEqual([a.id, c.id].sort()); // still friends
      expect((await api.searchUsers({ query: b.id, limit: 0 }, a.h)).users).toEqual([]);
      expect((await api.searchUsers({ query: a.id, limit: 0 }, b.h)).users).toHaveLength(1);

      const d = await user('Dan');
      const pending = await api.sendFriendRequest({ userId: b.id, note: '' }, d.h);
      await api.blockUser({ userId: d.id }, b.h);
      await expectReason(api.sendFriendRequest({ userId: b.id, note: '' }, d.h), 'BLOCKED');
      await expectReason(api.sendFriendRequest({ userId: d.id, note: '' }, b.h), 'BLOCKED');
      // The blocker no longer sees it; the blocked one is not told.
      expect((await api.listFriendRequests({}, b.h)).incoming).toEqual([]);
      expect((await api.listFriendRequests({}, d.h)).outgoing.map((r) => [r.id, r.state])).toEqual([
        [pending.request!.id, S.PENDING],
      ]);

      await api.unblockUser({ userId: a.id }, b.h);
      expect(await audience(b)).toEqual([a.id, c.id].sort());
      expect((await api.listBlocked({}, b.h)).users.map((u) => u.id)).toEqual([d.id]);
      await expectReason(api.blockUser({ userId: b.id }, b.h), 'CANNOT_TARGET_SELF');
      await expectReason(api.blockUser({ userId: '98765432' }, b.h), 'NOT_FOUND');
    });

    it.skipIf(setup.fakeMessage)(
      'friendship, blocks and deletion decide who may send in the 1:1 chat',
      async () => {
        const [a, b] = [await user(), await user()];
        const conv = await befriend(api, a, b);
        await sendText(env, a, conv);
        await api.blockUser({ userId: a.id }, b.h);
        await expectReason(sendText(env, a, conv), 'BLOCKED');
        await sendText(env, b, conv); // the blocker still may
        await api.unblockUser({ userId: a.id }, b.h);
        await sendText(env, a, conv);
        await api.deleteFriend({ userId: b.id }, a.h);
        await expectReason(sendText(env, a, conv), 'NOT_FRIENDS');
        await expectReason(sendText(env, b, conv), 'NOT_FRIENDS');
        expect(await befriend(api, b, a)).toBe(conv); // friends again: the same chat
        await sendText(env, b, conv);
      },
    );

    it('rejects malformed and oversized input with stable codes', async () => {
      const a = await user();
      for (const userId of ['', 'abc', '-1', '0', '1'.repeat(21), '99999999999999999999', '1e5']) {
        const err = await expectReason(api.sendFriendRequest({ userId, note: '' }, a.h), 'INVALID_ARGUMENT');
        expect(err.code).toBe(Code.InvalidArgument);
      }
      const b = await user();
      await expectReason(
        api.sendFriendRequest({ userId: b.id, note: 'n'.repeat(201) }, a.h),
        'FIELD_TOO_LONG',
      );
      await expectReason(
        api.sendFriendRequest({ userId: b.id, note: 'bell\u0007' }, a.h),
        'INVALID_ARGUMENT',
      );
      await api.sendFriendRequest({ userId: b.id, note: '好'.repeat(200) }, a.h);
      await expectReason(api.searchUsers({ query: 'q'.repeat(255), limit: 0 }, a.h), 'FIELD_TOO_LONG');
      await expectReason(api.searchUsers({ query: 'ab', limit: -1 }, a.h), 'INVALID_ARGUMENT');
      await expectReason(
        api.getUsers({ userIds: Array.from({ length: 101 }, (_, i) => String(i + 1)) }, a.h),
        'INVALID_ARGUMENT',
      );
      await expectReason(
        api.respondFriendRequest({ requestId: 'x', action: 'accept' }, a.h),
        'INVALID_ARGUMENT',
      );
      expect((await api.getUsers({ userIds: [b.id, '31337', a.id] }, a.h)).users.map((u) => u.id)).toEqual([
        b.id,
        a.id,
      ]);
    });

    it('refuses unauthenticated calls and never exposes the internal services', async () => {
      await expectReason(api.listFriends({}), 'UNAUTHENTICATED');
      await expectReason(api.searchUsers({ query: 'abc', limit: 0 }), 'UNAUTHENTICATED');
      await expectReason(api.createGroup({ name: 'x', memberIds: [] }), 'UNAUTHENTICATED');
      await expectReason(api.listFriends({}, { headers: { authorization: 'Bearer nope' } }), 'TOKEN_INVALID');
      for (const call of [
        () => env.server.client(contacts.ContactsInternalService).listPresenceAudience({ userId: '1' }),
        () => env.server.client(auth.UserDirectoryService).findUsers({ query: 'ab', limit: 0 }),
      ]) {
        const err = await call().catch((e: unknown) => e);
        expect(err).toBeInstanceOf(ConnectError);
        expect((err as ConnectError).code).toBe(Code.Unimplemented);
      }
    });
  });
}
