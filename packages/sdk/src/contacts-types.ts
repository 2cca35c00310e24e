import { contacts } from '@mychat/protocol';
import { ms } from './mappers.js';

/** What anyone may see of a user. */
export interface UserCard {
  id: string;
  nickname: string;
  avatarUrl: string;
  signature: string;
}

export type FriendRequestState = 'pending' | 'accepted' | 'declined' | 'ignored';

export interface FriendRequest {
  id: string;
  from: UserCard;
  to: UserCard;
  note: string;
  state: FriendRequestState;
  createdAt: Date;
}

export interface Friend {
  user: UserCard;
  /** A private display name, seen only by the user ('' for none). */
  remark: string;
  /** The 1:1 conversation with this friend. */
  conversationId: string;
  since: Date;
  /** Online now (changes arrive as 'presence' events). */
  online: boolean;
  /** When last seen online, epoch ms (0 when online or unknown). */
  lastSeenMs: number;
}

export type GroupRole = 'member' | 'admin' | 'owner';

export interface Group {
  /** Also the id of the group's conversation. */
  id: string;
  name: string;
  announcement: string;
  ownerId: string;
  memberCount: number;
  maxMembers: number;
  /** Everyone but owners and admins is muted. */
  muted: boolean;
  createdAt: Date;
  /** The user's role. */
  myRole: GroupRole;
  /** The group's picture: a path on the server (resolve it against the base URL), or ''. */
  avatarUrl: string;
}

export interface GroupMember {
  user: UserCard;
  role: GroupRole;
  /** Muted until then; undefined when not muted. */
  mutedUntil?: Date;
  joinedAt: Date;
}

const EMPTY_CARD: UserCard = { id: '', nickname: '', avatarUrl: '', signature: '' };

export const toUserCard = (u: contacts.UserCard | undefined): UserCard =>
  u ? { id: u.id, nickname: u.nickname, avatarUrl: u.avatarUrl, signature: u.signature } : { ...EMPTY_CARD };

const REQUEST_STATES: Record<number, FriendRequestState> = {
  [contacts.FriendRequestState.PENDING]: 'pending',
  [contacts.FriendRequestState.ACCEPTED]: 'accepted',
  [contacts.FriendRequestState.DECLINED]: 'declined',
  [contacts.FriendRequestState.IGNORED]: 'ignored',
};

export const toFriendRequest = (r: contacts.FriendRequest): FriendRequest => ({
  id: r.id,
  from: toUserCard(r.from),
  to: toUserCard(r.to),
  note: r.note,
  state: REQUEST_STATES[r.state] ?? 'pending',
  createdAt: new Date(ms(r.createdAt)),
});

export const toFriend = (f: contacts.Friend): Friend => ({
  user: toUserCard(f.user),
  remark: f.remark,
  conversationId: f.conversationId,
  since: new Date(ms(f.since)),
  online: f.online,
  lastSeenMs: f.lastSeenMs,
});

export function toRole(r: contacts.GroupRole): GroupRole {
  if (r === contacts.GroupRole.OWNER) return 'owner';
  if (r === contacts.GroupRole.ADMIN) return 'admin';
  return 'member';
}

export const fromRole = (r: GroupRole): contacts.GroupRole =>
  r === 'owner'
    ? contacts.GroupRole.OWNER
    : r === 'admin'
      ? contacts.GroupRole.ADMIN
      : contacts.GroupRole.MEMBER;

export const toGroup = (g: contacts.Group): Group => ({
  id: g.id,
  name: g.name,
  announcement: g.announcement,
  ownerId: g.ownerId,
  memberCount: g.memberCount,
  maxMembers: g.maxMembers,
  muted: g.muted,
  createdAt: new Date(ms(g.createdAt)),
  myRole: toRole(g.myRole),
  avatarUrl: g.avatarUrl,
});

export const toGroupMember = (m: contacts.GroupMember): GroupMember => ({
  user: toUserCard(m.user),
  role: toRole(m.role),
  ...(m.mutedUntil && { mutedUntil: new Date(ms(m.mutedUntil)) }),
  joinedAt: new Date(ms(m.joinedAt)),
});
