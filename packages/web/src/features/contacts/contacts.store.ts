import type { Friend, FriendRequest, Group, GroupMember, UserCard } from '@mychat/sdk';
import { defineStore } from 'pinia';
import { computed, reactive, ref } from 'vue';
import { sdkClient } from '../../sdk/current-client.js';
import { learnAvatars } from '../../ui/avatar-urls.js';

const USERS_KEY = 'mychat.users';

/** Friends, requests, groups, blocked people, presence and a cache of user cards (names for the UI). */
export const useContactsStore = defineStore('contacts', () => {
  const client = sdkClient();
  const users = reactive<Record<string, UserCard>>(JSON.parse(localStorage.getItem(USERS_KEY) ?? '{}'));
  learnAvatars(Object.values(users));
  const remarks = reactive<Record<string, string>>({});
  const friends = ref<Friend[]>([]);
  const incoming = ref<FriendRequest[]>([]);
  const outgoing = ref<FriendRequest[]>([]);
  const groups = ref<Group[]>([]);
  const blocked = ref<UserCard[]>([]);
  const members = reactive<Record<string, GroupMember[]>>({});
  const presence = reactive<Record<string, { online: boolean; lastSeenMs: number }>>({});
  const loaded = ref(false);

  const pendingRequests = computed(() => incoming.value.filter((r) => r.state === 'pending').length);
  const blockedIds = computed(() => new Set(blocked.value.map((u) => u.id)));

  let saveTimer: ReturnType<typeof setTimeout> | undefined;
  function learn(list: UserCard[]) {
    for (const u of list) if (u.id) users[u.id] = { ...u };
    learnAvatars(list);
    clearTimeout(saveTimer);
    saveTimer = setTimeout(() => localStorage.setItem(USERS_KEY, JSON.stringify(users)), 200);
  }

  /** The name to show: the remark, else the nickname. */
  function nameOf(userId: string): string {
    return remarks[userId] || users[userId]?.nickname || '';
  }

  const inFlight = new Set<string>();
  /** Fetches the cards of users not known yet (batched per call). */
  async function ensureUsers(ids: string[]) {
    const missing = [...new Set(ids)].filter((id) => id && !users[id] && !inFlight.has(id));
    if (!missing.length) return;
    missing.forEach((id) => inFlight.add(id));
    try {
      learn(await client.contacts.users(missing));
    } finally {
      missing.forEach((id) => inFlight.delete(id));
    }
  }

  async function loadFriends() {
    const list = await client.contacts.friends();
    friends.value = list.sort((a, b) =>
      (a.remark || a.user.nickname).localeCompare(b.remark || b.user.nickname),
    );
    learn(list.map((f) => f.user));
    for (const f of list) {
      remarks[f.user.id] = f.remark;
      presence[f.user.id] = { online: f.online, lastSeenMs: f.lastSeenMs };
    }
  }

  async function loadRequests() {
    const r = await client.contacts.requests();
    incoming.value = r.incoming;
    outgoing.value = r.outgoing;
    learn([...r.incoming.map((x) => x.from), ...r.outgoing.map((x) => x.to)]);
  }

  async function loadGroups() {
    groups.value = await client.groups.list();
    learnAvatars(groups.value);
  }

  async function loadBlocked() {
    blocked.value = await client.contacts.blocked();
    learn(blocked.value);
  }

  async function loadMembers(groupId: string) {
    const list = await client.groups.members(groupId);
    members[groupId] = list;
    learn(list.map((m) => m.user));
    return list;
  }

  async function loadAll() {
    await Promise.allSettled([loadFriends(), loadRequests(), loadGroups(), loadBlocked()]);
    loaded.value = true;
  }

  client.on('presence', (p) => (presence[p.userId] = { online: p.online, lastSeenMs: p.lastSeenMs }));
  client.on('contact', (e) => {
    if (e.kind.startsWith('friend')) void Promise.allSettled([loadFriends(), loadRequests()]);
    if (e.kind.startsWith('group')) {
      void loadGroups().catch(() => undefined);
      if (e.groupId && members[e.groupId]) void loadMembers(e.groupId).catch(() => undefined);
    }
  });
  // After a reconnect, lists may have changed while away.
  client.on('state', (s) => {
    if (s === 'live' && loaded.value) void loadAll();
    // Without the socket no presence arrives: nobody is shown online on what may be stale news
    // (the reload when live again brings the truth back).
    if (s === 'reconnecting' || s === 'stopped')
      for (const p of Object.values(presence))
        if (p.online) Object.assign(p, { online: false, lastSeenMs: Date.now() });
  });

  async function search(q: string) {
    const found = await client.contacts.search(q.trim());
    learn(found);
    return found;
  }

  async function request(userId: string, note: string) {
    const r = await client.contacts.request(userId, note);
    await Promise.allSettled([loadRequests(), r.becameFriends ? loadFriends() : Promise.resolve()]);
    return r;
  }

  async function respond(requestId: string, action: 'accept' | 'decline' | 'ignore') {
    const r = await client.contacts.respond(requestId, action);
    await Promise.allSettled([loadRequests(), loadFriends()]);
    return r;
  }

  async function setRemark(userId: string, remark: string) {
    await client.contacts.remark(userId, remark);
    remarks[userId] = remark;
    await loadFriends();
  }

  async function block(userId: string) {
    await client.contacts.block(userId);
    await Promise.allSettled([loadBlocked(), loadFriends()]);
  }

  async function unblock(userId: string) {
    await client.contacts.unblock(userId);
    await Promise.allSettled([loadBlocked(), loadFriends()]);
  }

  async function removeFriend(userId: string) {
    await client.contacts.delete(userId);
    await loadFriends();
  }

  async function createGroup(name: string, memberIds: string[]) {
    const g = await client.groups.create(name, memberIds);
    await loadGroups();
    return g;
  }

  return {
    users,
    remarks,
    friends,
    incoming,
    outgoing,
    groups,
    blocked,
    blockedIds,
    members,
    presence,
    loaded,
    pendingRequests,
    learn,
    nameOf,
    ensureUsers,
    loadAll,
    loadFriends,
    loadRequests,
    loadGroups,
    loadBlocked,
    loadMembers,
    search,
    request,
    respond,
    setRemark,
    block,
    unblock,
    removeFriend,
    createGroup,
  };
});
