import type { Friend, Group, UserCard } from '@mychat/sdk';
import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it } from 'vitest';
import { FakeClient, installBrowserGlobals, settle } from '../../sdk/fake-client.test-helpers.js';

installBrowserGlobals();
const { provideClient } = await import('../../sdk/current-client.js');
const { useContactsStore } = await import('./contacts.store.js');
const { useGroupsStore } = await import('./groups.store.js');

const card = (id: string, nickname: string): UserCard => ({ id, nickname, avatarUrl: '', signature: '' });
const friend = (id: string, nickname: string, remark = '', online = false): Friend => ({
  user: card(id, nickname),
  remark,
  conversationId: `d-${id}`,
  since: new Date(0),
  online,
  lastSeenMs: online ? 0 : 5,
});
const group = (id: string, name: string): Group => ({ id, name, myRole: 'member' }) as Group;

let fake: FakeClient;
let friends: Friend[];
let groups: Group[];
beforeEach(() => {
  fake = new FakeClient();
  friends = [];
  groups = [];
  fake.provide('contacts', {
    users: async (ids: string[]) => ids.map((id) => card(id, `user ${id}`)),
    friends: async () => friends.map((f) => ({ ...f })),
    requests: async () => ({ incoming: [], outgoing: [] }),
    blocked: async () => [],
    remark: async () => undefined,
  });
  fake.provide('groups', { list: async () => groups.map((g) => ({ ...g })) });
  provideClient(fake.asClient());
  setActivePinia(createPinia());
});

describe('contacts store', () => {
  it('asks for unknown user cards once: deduplicated, no empty ids, none already known or in flight', async () => {
    const contacts = useContactsStore();
    contacts.learn([card('1', 'Ann')]);
    const first = contacts.ensureUsers(['2', '2', '', '1', '3']);
    const second = contacts.ensureUsers(['3', '4']); // 3 is already being fetched
    await Promise.all([first, second]);
    await contacts.ensureUsers(['2', '4']); // all known now: no call
    expect(fake.calls).toEqual(['contacts.users(["2","3"])', 'contacts.users(["4"])']);
    expect(contacts.nameOf('3')).toBe('user 3');
    expect(contacts.nameOf('nobody')).toBe('');
  });

  it('sorts friends by the name shown, remark first, and keeps their presence', async () => {
    friends = [friend('1', 'Zed', 'Anna'), friend('2', 'Bob', '', true), friend('3', 'Carl')];
    const contacts = useContactsStore();
    await contacts.loadFriends();
    expect(contacts.friends.map((f) => f.user.id)).toEqual(['1', '2', '3']);
    expect(contacts.nameOf('1')).toBe('Anna'); // the remark wins over the nickname
    expect(contacts.presence['2']).toEqual({ online: true, lastSeenMs: 0 });

    fake.emit('presence', { userId: '2', online: false, lastSeenMs: 99 } as never);
    expect(contacts.presence['2']).toEqual({ online: false, lastSeenMs: 99 });
  });

  it('reloads friends on a friend event and groups on a group event, nothing on other kinds', async () => {
    const contacts = useContactsStore();
    friends = [friend('5', 'Eve')];
    groups = [group('g1', 'Team')];
    const event = (kind: string) => ({ kind, userId: '5', groupId: 'g1', requestId: '' });
    fake.emit('contact', event('bogus'));
    await settle();
    expect(fake.calls).toEqual([]);
    fake.emit('contact', event('friend_added'));
    fake.emit('contact', event('group_joined'));
    await settle();
    expect(contacts.friends.map((f) => f.user.id)).toEqual(['5']);
    expect(contacts.groups.map((g) => g.id)).toEqual(['g1']);
  });

  it('a remark is saved on the server before it is shown', async () => {
    fake.provide('contacts', { remark: async () => Promise.reject(new Error('refused')) });
    const contacts = useContactsStore();
    contacts.learn([card('7', 'Gus')]);
    await expect(contacts.setRemark('7', 'Buddy')).rejects.toThrow('refused');
    expect(contacts.nameOf('7')).toBe('Gus');
  });
});

describe('groups store', () => {
  it('leaving or joining refreshes the group list the views show', async () => {
    groups = [group('g1', 'Team')];
    fake.provide('groups', {
      leave: async () => void (groups = []),
      join: async () => ((groups = [group('g2', 'Club')]), group('g2', 'Club')),
    });
    const contacts = useContactsStore();
    await contacts.loadGroups();
    const store = useGroupsStore();
    await store.leave('g1');
    expect(contacts.groups).toEqual([]);
    expect((await store.join('tok')).id).toBe('g2');
    expect(contacts.groups.map((g) => g.id)).toEqual(['g2']);
    expect(fake.calls.filter((c) => !c.startsWith('groups.list'))).toEqual([
      'groups.leave("g1")',
      'groups.join("tok")',
    ]);
  });

  it('an invite link escapes its token, so a hostile token cannot change the path', async () => {
    fake.provide('groups', {
      inviteLink: async () => ({ token: '../a b?x=1#y', linkId: 'L1', expiresAt: new Date(5) }),
    });
    const link = await useGroupsStore().createInviteLink('g1', 'https://chat.example');
    expect(link).toEqual({
      url: 'https://chat.example/join/..%2Fa%20b%3Fx%3D1%23y',
      id: 'L1',
      expiresAt: new Date(5),
    });
  });
});
