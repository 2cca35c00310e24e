import type { Client } from '@connectrpc/connect';
import type { contacts } from '@mychat/protocol';
import type { Authed } from './chat-backend.js';
import {
  toFriend,
  toFriendRequest,
  toUserCard,
  type Friend,
  type FriendRequest,
  type UserCard,
} from './contacts-types.js';
import { MyChatError } from './errors.js';
import { ms } from './mappers.js';

/** Finding people, friends and friend requests, and blocking. Failures reject with MyChatError. */
export class ContactsApi {
  /** @internal */
  constructor(
    private readonly rpc: Client<typeof contacts.ContactsService>,
    private readonly authed: Authed,
  ) {}

  /** Exact email, phone or user id; otherwise a nickname prefix (at least 2 characters). */
  async search(query: string, limit = 20): Promise<UserCard[]> {
    const r = await this.authed((h) => this.rpc.searchUsers({ query, limit }, h));
    return r.users.map(toUserCard);
  }

  /** Cards of the given users (unknown ids are left out). */
  async users(userIds: string[]): Promise<UserCard[]> {
    const r = await this.authed((h) => this.rpc.getUsers({ userIds }, h));
    return r.users.map(toUserCard);
  }

  /**
   * Asks someone to be friends (note: at most 200 characters). `becameFriends` is true when
   * they had already asked you: you are friends now.
   */
  async request(userId: string, note = ''): Promise<{ request: FriendRequest; becameFriends: boolean }> {
    const r = await this.authed((h) => this.rpc.sendFriendRequest({ userId, note }, h));
    if (!r.request) throw new MyChatError('the server sent no request', 'UNKNOWN');
    return { request: toFriendRequest(r.request), becameFriends: r.becameFriends };
  }

  /** Friend requests to and from the user. */
  async requests(): Promise<{ incoming: FriendRequest[]; outgoing: FriendRequest[] }> {
    const r = await this.authed((h) => this.rpc.listFriendRequests({}, h));
    return { incoming: r.incoming.map(toFriendRequest), outgoing: r.outgoing.map(toFriendRequest) };
  }

  /**
   * Accepts, declines or ignores a request (ignore leaves the requester waiting, without telling
   * them). Accepting resolves with the new 1:1 conversation's id.
   */
  async respond(
    requestId: string,
    action: 'accept' | 'decline' | 'ignore',
  ): Promise<{ conversationId?: string }> {
    const r = await this.authed((h) => this.rpc.respondFriendRequest({ requestId, action }, h));
    return r.conversationId ? { conversationId: r.conversationId } : {};
  }

  async friends(): Promise<Friend[]> {
    const r = await this.authed((h) => this.rpc.listFriends({}, h));
    return r.friends.map(toFriend);
  }

  /** A private display name for a friend (at most 32 characters; '' clears it). */
  async remark(userId: string, remark: string): Promise<void> {
    await this.authed((h) => this.rpc.setRemark({ userId, remark }, h));
  }

  /** Stops being friends. */
  async delete(userId: string): Promise<void> {
    await this.authed((h) => this.rpc.deleteFriend({ userId }, h));
  }

  /** A blocked user cannot message you, send you requests, or see your presence. */
  async block(userId: string): Promise<void> {
    await this.authed((h) => this.rpc.blockUser({ userId }, h));
  }

  async unblock(userId: string): Promise<void> {
    await this.authed((h) => this.rpc.unblockUser({ userId }, h));
  }

  async blocked(): Promise<UserCard[]> {
    const r = await this.authed((h) => this.rpc.listBlocked({}, h));
    return r.users.map(toUserCard);
  }

  /** The user's friend tags (标签), by name, with their members who are still friends. */
  async tags(): Promise<FriendTag[]> {
    const r = await this.authed((h) => this.rpc.listFriendTags({}, h));
    return r.tags.map(toTag);
  }

  /** A new tag (a name of 1-20 characters, unique among the user's tags) of friends. */
  async createTag(name: string, memberIds: string[] = []): Promise<FriendTag> {
    const r = await this.authed((h) => this.rpc.createFriendTag({ name, memberIds }, h));
    return toTag(r.tag!);
  }

  /** Renames a tag and adds or removes friends; only what is given changes. */
  async updateTag(
    tagId: string,
    change: { name?: string; add?: string[]; remove?: string[] },
  ): Promise<FriendTag> {
    const r = await this.authed((h) =>
      this.rpc.updateFriendTag(
        {
          tagId,
          ...(change.name !== undefined && { name: change.name }),
          addMemberIds: change.add ?? [],
          removeMemberIds: change.remove ?? [],
        },
        h,
      ),
    );
    return toTag(r.tag!);
  }

  async deleteTag(tagId: string): Promise<void> {
    await this.authed((h) => this.rpc.deleteFriendTag({ tagId }, h));
  }
}

/** A friend tag: a named list of friends (e.g. to choose who sees a moment). */
export interface FriendTag {
  id: string;
  name: string;
  memberIds: string[];
  createdAt: number;
}

const toTag = (t: contacts.FriendTag): FriendTag => ({
  id: t.id,
  name: t.name,
  memberIds: [...t.memberIds],
  createdAt: ms(t.createdAt),
});
