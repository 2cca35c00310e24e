import { create } from '@bufbuild/protobuf';
import type { Client } from '@connectrpc/connect';
import { type contacts, search as pb } from '@mychat/protocol';
import { callHeaders, type Caller } from '../../rpc/call-context.js';
import { matchName, nameQuery, type NameQuery } from './search.names.js';

/** How long a group's member names are reused, ms (a renamed member shows within this). */
const MEMBERS_TTL_MS = 60_000;
/** Groups whose member names are kept. */
const MEMBERS_CACHED = 2000;
/** Member names reported per group hit. */
const MEMBER_NAMES = 3;

type ContactsClient = Pick<
  Client<typeof contacts.ContactsService>,
  'listFriends' | 'listMyGroups' | 'listGroupMembers'
>;

/**
 * Friends and groups by name, as the caller's own contacts service lists them (called on the
 * caller's behalf, so it shows exactly their friends and groups): friends by remark or
 * nickname, groups by name or by a member's nickname; each by text or pinyin.
 */
export class ContactSearch {
  private readonly members = new Map<string, { at: number; names: { id: string; name: string }[] }>();

  constructor(
    private readonly d: {
      contacts: ContactsClient;
      now(): number;
    },
  ) {}

  async search(
    caller: Caller,
    requestId: string,
    query: string,
    limit: number,
  ): Promise<pb.SearchContactsResponse> {
    const q = nameQuery(query);
    const opts = { headers: callHeaders({ caller, requestId }) };
    const [{ friends }, { groups }] = await Promise.all([
      this.d.contacts.listFriends({}, opts),
      this.d.contacts.listMyGroups({}, opts),
    ]);
    const friendHits = friends.flatMap((f) => {
      const hit = this.friendHit(q, f);
      return hit ? [hit] : [];
    });
    const groupHits: pb.GroupHit[] = [];
    for (const g of groups) {
      const by = matchName(q, g.name);
      if (by) {
        groupHits.push(create(pb.GroupHitSchema, { group: g, field: 'name', byPinyin: by === 'pinyin' }));
        continue;
      }
      // Other members only: one's own name would find every group one is in.
      const names = (await this.memberNames(g.id, opts))
        .filter((m) => m.id !== caller.userId)
        .map((m) => m.name);
      const matched = names.filter((n) => matchName(q, n));
      if (matched.length)
        groupHits.push(
          create(pb.GroupHitSchema, {
            group: g,
            field: 'member',
            byPinyin: matched.every((n) => matchName(q, n) === 'pinyin'),
            memberNames: matched.slice(0, MEMBER_NAMES),
          }),
        );
    }
    // Matches of the text itself before pinyin ones, then by name.
    const rank = (byPinyin: boolean) => (byPinyin ? 1 : 0);
    friendHits.sort(
      (a, b) =>
        rank(a.byPinyin) - rank(b.byPinyin) ||
        displayName(a.friend!).localeCompare(displayName(b.friend!), 'zh'),
    );
    groupHits.sort(
      (a, b) =>
        rank(a.byPinyin) - rank(b.byPinyin) ||
        (a.field === b.field ? 0 : a.field === 'name' ? -1 : 1) ||
        a.group!.name.localeCompare(b.group!.name, 'zh'),
    );
    return create(pb.SearchContactsResponseSchema, {
      friends: friendHits.slice(0, limit),
      groups: groupHits.slice(0, limit),
    });
  }

  private friendHit(q: NameQuery, f: contacts.Friend): pb.FriendHit | undefined {
    for (const [field, name] of [
      ['remark', f.remark],
      ['nickname', f.user?.nickname ?? ''],
    ] as const) {
      const by = matchName(q, name);
      if (by) return create(pb.FriendHitSchema, { friend: f, field, byPinyin: by === 'pinyin' });
    }
    return undefined;
  }

  private async memberNames(
    groupId: string,
    opts: { headers: Record<string, string> },
  ): Promise<{ id: string; name: string }[]> {
    const now = this.d.now();
    const cached = this.members.get(groupId);
    if (cached && now - cached.at < MEMBERS_TTL_MS) return cached.names;
    const { members } = await this.d.contacts.listGroupMembers({ groupId }, opts);
    const names = members.flatMap((m) =>
      m.user?.nickname ? [{ id: m.user.id, name: m.user.nickname }] : [],
    );
    this.members.delete(groupId);
    this.members.set(groupId, { at: now, names });
    // Oldest first in a Map: drop from the front past the bound.
    for (const k of this.members.keys()) {
      if (this.members.size <= MEMBERS_CACHED) break;
      this.members.delete(k);
    }
    return names;
  }
}

const displayName = (f: contacts.Friend) => f.remark || f.user?.nickname || '';
