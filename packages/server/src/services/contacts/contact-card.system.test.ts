import { message } from '@mychat/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectReason } from '../../../test/helpers/auth-helpers.js';
import {
  befriend,
  CONTACTS_SETUPS,
  newUser,
  sendText,
  setupAvailable,
  startContactsEnv,
  type ContactsClient,
  type ContactsEnv,
  type TestUser,
} from '../../../test/helpers/contacts-helpers.js';

/**
 * What a contact's card and a new 1:1 chat show (issue 24 item 11): the groups in common
 * (ListSharedGroups) and the "You are now friends" line that opens the chat, once per friendship.
 */
for (const setup of CONTACTS_SETUPS) {
  const ok = await setupAvailable(setup);

  describe.skipIf(!ok)(`contact card and the first line of a new chat on ${setup.name}`, () => {
    let env: ContactsEnv;
    let api: ContactsClient;
    const user = (nickname?: string) => newUser(env, nickname);

    beforeAll(async () => {
      env = await startContactsEnv(setup);
      api = env.api;
    });
    afterAll(() => env?.stop());

    const shared = async (as: TestUser, other: TestUser | string) =>
      (await api.listSharedGroups({ userId: typeof other === 'string' ? other : other.id }, as.h)).groups
        .map((g) => g.name)
        .sort();

    it('lists the groups both people are in, as the caller sees them, and nothing else', async () => {
      const [owner, a, b, stranger] = [await user('O'), await user('A'), await user('B'), await user('S')];
      await befriend(api, owner, a);
      await befriend(api, owner, b);
      const g1 = (await api.createGroup({ name: 'All three', memberIds: [a.id, b.id] }, owner.h)).group!;
      await api.createGroup({ name: 'Owner and A', memberIds: [a.id] }, owner.h);
      await api.createGroup({ name: 'Owner alone', memberIds: [] }, owner.h);

      // A and B are not friends: groups in common are shown all the same (WeChat does).
      expect(await shared(a, b)).toEqual(['All three']);
      expect(await shared(a, owner)).toEqual(['All three', 'Owner and A']);
      expect(await shared(owner, a)).toEqual(['All three', 'Owner and A']);
      const [first] = (await api.listSharedGroups({ userId: a.id }, b.h)).groups;
      expect(first).toMatchObject({ id: g1.id, memberCount: 3, ownerId: owner.id });

      // Someone in none of the caller's groups, the caller themself, an unknown id: none.
      expect(await shared(stranger, owner)).toEqual([]);
      expect(await shared(owner, stranger)).toEqual([]);
      expect(await shared(owner, owner)).toEqual([]);
      expect(await shared(owner, '123456789')).toEqual([]);
      await expectReason(api.listSharedGroups({ userId: 'not-an-id' }, owner.h), 'INVALID_ARGUMENT');
      await expectReason(api.listSharedGroups({ userId: a.id }), 'UNAUTHENTICATED');

      // Leaving ends it at once.
      await api.leaveGroup({ groupId: g1.id }, b.h);
      expect(await shared(a, b)).toEqual([]);
      expect(await shared(a, owner)).toEqual(['All three', 'Owner and A']);
    });

    if (setup.fakeMessage) {
      it('asks the message service for the line on every state of friends, and for none otherwise', async () => {
        const [a, b] = [await user(), await user()];
        await befriend(api, a, b);
        expect(env.fake!.lastDirect(a.id, b.id)?.event).toEqual({ kind: 'friend_added', args: {} });
        await api.deleteFriend({ userId: a.id }, b.h);
        expect(env.fake!.lastDirect(a.id, b.id)?.event).toBeUndefined();
      });
      return;
    }

    const history = async (u: TestUser, conversationId: string) =>
      (await env.messages.getHistory({ conversationId, afterSeq: 0, limit: 50 }, u.h)).messages;
    const lines = (msgs: message.Message[]) =>
      msgs.map((m) =>
        m.content?.body.case === 'system'
          ? `${m.seq} system:${m.content.body.value.kind}`
          : `${m.seq} ${m.content?.body.case === 'text' ? m.content.body.value.text : '?'}`,
      );
    const conversation = async (u: TestUser, conversationId: string) =>
      (await env.messages.getConversation({ conversationId }, u.h)).conversation!;

    it('opens a new 1:1 chat with "You are now friends", read for both, written once per friendship', async () => {
      const [a, b] = [await user('A'), await user('B')];
      const conv = await befriend(api, a, b);
      for (const u of [a, b]) {
        const [line] = await history(u, conv);
        expect(line).toMatchObject({ seq: 1, senderId: '0', type: message.MessageType.SYSTEM });
        expect(lines(await history(u, conv))).toEqual(['1 system:friend_added']);
        // Both sides see it, and neither has an unread message for it.
        expect(await conversation(u, conv)).toMatchObject({ lastSeq: 1, readSeq: 1, unreadCount: 0 });
      }
      await sendText(env, a, conv, 'hi B');

      // Blocking and unblocking (a new apply of the same friendship) and accepting again write none.
      await api.blockUser({ userId: a.id }, b.h);
      await api.unblockUser({ userId: a.id }, b.h);
      const again = await api.sendFriendRequest({ userId: b.id, note: '' }, a.h).catch(() => undefined);
      if (again?.request)
        await api.respondFriendRequest({ requestId: again.request.id, action: 'accept' }, b.h);
      expect(lines(await history(b, conv))).toEqual(['1 system:friend_added', '2 hi B']);
      expect((await conversation(b, conv)).unreadCount).toBe(1);

      // Deleted and made friends again: the chat gets a new line; B's unread message stays unread.
      await api.deleteFriend({ userId: b.id }, a.h);
      expect(await befriend(api, b, a)).toBe(conv);
      expect(lines(await history(a, conv))).toEqual([
        '1 system:friend_added',
        '2 hi B',
        '3 system:friend_added',
      ]);
      expect(await conversation(a, conv)).toMatchObject({ lastSeq: 3, readSeq: 3, unreadCount: 0 });
      expect(await conversation(b, conv)).toMatchObject({ lastSeq: 3, unreadCount: 2 });
    });
  });
}
