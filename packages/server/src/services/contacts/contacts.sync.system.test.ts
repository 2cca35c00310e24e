import { fromBinary } from '@bufbuild/protobuf';
import { contacts, gateway } from '@mychat/protocol';
import { userChannel } from '../../contracts/push-envelope.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectReason } from '../../../test/helpers/auth-helpers.js';
import {
  befriend,
  CONTACTS_SETUPS,
  newUser,
  startContactsEnv,
  type ContactsClient,
  type ContactsEnv,
  type TestUser,
} from '../../../test/helpers/contacts-helpers.js';
import type { FakeMessagePeer } from '../../../test/helpers/fake-message-peer.js';

const { GroupRole: R } = contacts;
const split = CONTACTS_SETUPS.find((s) => s.fakeMessage)!;

/**
 * Exactly what contacts tells the message service, seen from a fake message peer on a real
 * gRPC port: full states, request ids, and convergence after the message service was down.
 */
describe('contacts -> message service', () => {
  let env: ContactsEnv;
  let api: ContactsClient;
  let fake: FakeMessagePeer;
  const user = () => newUser(env);

  beforeAll(async () => {
    env = await startContactsEnv(split, { contacts: { repairIntervalSeconds: 1 } });
    api = env.api;
    fake = env.fake!;
  });
  afterAll(() => env?.stop());

  const until = async (check: () => boolean | Promise<boolean>, ms = 8000) => {
    for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 50))) {
      if (await check()) return;
    }
    throw new Error('condition not reached in time');
  };
  const rights = (a: TestUser, b: TestUser) => {
    const c = fake.lastDirect(a.id, b.id)!;
    return c.userA === a.id
      ? [c.aCanSend, c.bCanSend, c.aReason, c.bReason]
      : [c.bCanSend, c.aCanSend, c.bReason, c.aReason];
  };

  it('sends each pair’s sending rights, with the request id, on friendship, block and delete', async () => {
    const [a, b] = [await user(), await user()];
    const sent = await api.sendFriendRequest({ userId: b.id, note: '' }, a.h);
    expect(fake.lastDirect(a.id, b.id)).toBeUndefined(); // a request alone opens no chat
    const headers = { ...b.h.headers, 'x-request-id': 'req-accept-42' };
    const res = await api.respondFriendRequest(
      { requestId: sent.request!.id, action: 'accept' },
      { headers },
    );
    expect(rights(a, b)).toEqual([true, true, '', '']);
    expect(fake.lastDirect(a.id, b.id)?.requestId).toBe('req-accept-42');
    expect((await api.listFriends({}, a.h)).friends[0]?.conversationId).toBe(res.conversationId);

    await api.blockUser({ userId: a.id }, b.h);
    expect(rights(a, b)).toEqual([false, true, 'blocked', '']);
    await api.blockUser({ userId: b.id }, a.h);
    expect(rights(a, b)).toEqual([false, false, 'blocked', 'blocked']);
    await api.unblockUser({ userId: a.id }, b.h);
    await api.unblockUser({ userId: b.id }, a.h);
    expect(rights(a, b)).toEqual([true, true, '', '']);
    await api.deleteFriend({ userId: a.id }, b.h);
    expect(rights(a, b)).toEqual([false, false, 'not_friends', 'not_friends']);

    // Blocking a stranger opens no chat.
    const c = await user();
    await api.blockUser({ userId: c.id }, a.h);
    expect(fake.lastDirect(a.id, c.id)).toBeUndefined();
  });

  it('sends the complete membership and an event after every group change', async () => {
    const [owner, m1, m2] = [await user(), await user(), await user()];
    await befriend(api, owner, m1);
    await befriend(api, owner, m2);
    const { group } = await api.createGroup({ name: 'Sync', memberIds: [m1.id] }, owner.h);
    const id = group!.id;
    const members = () =>
      Object.fromEntries(fake.lastGroup(id)!.members.map((m) => [m.userId, [m.role, m.mutedUntilMs > 0]]));
    expect(fake.lastGroup(id)).toMatchObject({ name: 'Sync', mutedAll: false, actorId: owner.id });
    expect(fake.lastGroup(id)?.event?.kind).toBe('group_created');
    expect(members()).toEqual({ [owner.id]: [R.OWNER, false], [m1.id]: [R.MEMBER, false] });

    await api.inviteToGroup({ groupId: id, userIds: [m2.id] }, owner.h);
    expect(fake.lastGroup(id)?.event).toEqual({
      kind: 'member_joined',
      args: { user_ids: m2.id, by: owner.id },
    });
    await api.setGroupMemberRole({ groupId: id, userId: m1.id, role: R.ADMIN }, owner.h);
    await api.muteGroupMember({ groupId: id, userId: m2.id, durationSeconds: 60 }, m1.h);
    expect(members()).toEqual({
      [owner.id]: [R.OWNER, false],
      [m1.id]: [R.ADMIN, false],
      [m2.id]: [R.MEMBER, true],
    });
    await api.updateGroup({ groupId: id, name: 'Renamed' }, m1.h);
    await api.muteGroup({ groupId: id, muted: true }, m1.h);
    expect(fake.lastGroup(id)).toMatchObject({ name: 'Renamed', mutedAll: true, actorId: m1.id });
    await api.removeGroupMember({ groupId: id, userId: m2.id }, m1.h);
    expect(Object.keys(members()).sort()).toEqual([owner.id, m1.id].sort());
    await api.transferGroupOwnership({ groupId: id, newOwnerId: m1.id }, owner.h);
    expect(members()).toEqual({ [owner.id]: [R.ADMIN, false], [m1.id]: [R.OWNER, false] });
    await api.leaveGroup({ groupId: id }, owner.h);
    await api.leaveGroup({ groupId: id }, m1.h);
    expect(fake.lastGroup(id)).toMatchObject({ members: [], name: 'Renamed' });
    expect(fake.lastGroup(id)?.event?.kind).toBe('group_dissolved');
  });

  it('pushes contact events to the live sockets of the people concerned', async () => {
    const [a, b, c] = [await user(), await user(), await user()];
    const seen: string[] = [];
    const bus = env.server.app.value('bus');
    const subs = await Promise.all(
      [a, b, c].map((u, i) =>
        bus.subscribe(userChannel(u.id), (payload) => {
          const env = fromBinary(gateway.PushEnvelopeSchema, payload);
          const body = fromBinary(gateway.ServerFrameSchema, env.frame).body;
          if (body.case === 'contact')
            seen.push(`${'abc'[i]}:${body.value.kind}:${body.value.userId === a.id ? 'a' : 'x'}`);
        }),
      ),
    );
    try {
      const sent = await api.sendFriendRequest({ userId: b.id, note: '' }, a.h);
      await until(() => seen.includes('b:friend_request:a'));
      await api.respondFriendRequest({ requestId: sent.request!.id, action: 'accept' }, b.h);
      await until(() => seen.includes('a:friend_added:x') && seen.includes('b:friend_added:a'));
      await befriend(api, a, c);
      const { group } = await api.createGroup({ name: 'Pushy', memberIds: [b.id] }, a.h);
      await until(() => seen.includes('b:group_joined:a'));
      await api.inviteToGroup({ groupId: group!.id, userIds: [c.id] }, a.h);
      await until(() => seen.includes('c:group_joined:a') && seen.includes('b:group_changed:a'));
      await api.removeGroupMember({ groupId: group!.id, userId: c.id }, a.h);
      await until(() => seen.includes('c:group_left:a'));
      await api.deleteFriend({ userId: b.id }, a.h);
      await until(() => seen.includes('b:friend_removed:a'));
      // Only the recipient hears of a request, and only group members of group changes.
      expect(seen.filter((e) => e.startsWith('a:friend_request'))).toEqual([]);
      expect(seen.filter((e) => e.startsWith('c:group_changed'))).toEqual([]);
    } finally {
      await Promise.all(subs.map((s) => s.unsubscribe()));
    }
  });

  it('a change made while the message service is down is kept, reported, and completed later', async () => {
    const [a, b, c] = [await user(), await user(), await user()];
    await befriend(api, a, c);
    const { group } = await api.createGroup({ name: 'Later', memberIds: [] }, a.h);
    const sent = await api.sendFriendRequest({ userId: b.id, note: '' }, a.h);

    fake.failing = true;
    const failedBefore = fake.failed;
    try {
      await expectReason(
        api.respondFriendRequest({ requestId: sent.request!.id, action: 'accept' }, b.h),
        'UNAVAILABLE',
      );
      await expectReason(api.inviteToGroup({ groupId: group!.id, userIds: [c.id] }, a.h), 'UNAVAILABLE');
      // Contacts kept both changes; the chat id is not known yet.
      expect((await api.listFriends({}, b.h)).friends.map((f) => [f.user?.id, f.conversationId])).toEqual([
        [a.id, ''],
      ]);
      expect((await api.getGroup({ groupId: group!.id }, c.h)).group?.memberCount).toBe(2);
      await until(() => fake.failed > failedBefore + 2); // the repair loop keeps trying
    } finally {
      fake.failing = false;
    }
    await until(async () => (await api.listFriends({}, b.h)).friends[0]?.conversationId !== '');
    expect(rights(a, b)).toEqual([true, true, '', '']);
    await until(() => (fake.lastGroup(group!.id)?.members.length ?? 0) === 2);
    expect(
      fake
        .lastGroup(group!.id)
        ?.members.map((m) => m.userId)
        .sort(),
    ).toEqual([a.id, c.id].sort());
  });
});
