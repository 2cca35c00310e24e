import { AppError, ErrorCode, errors } from '../../kernel/errors.js';
import type { Clock } from '../../kernel/clock.js';
import type { IdGenerator } from '../../kernel/ids.js';
import type { WindowLimit } from '../../adapters/kv/window-limit.js';
import type { Actor, Card, ContactPush, Directory } from './contacts.peers.js';
import { pairKey, RequestState, type ContactsRepository, type RequestRow } from './contacts.repository.js';
import type { ConversationSync } from './contacts.sync.js';
import { LIMITS, type Response } from './contacts.validation.js';

/** A friend request as one side sees it. */
export interface RequestView {
  row: RequestRow;
  /** The state this viewer may know: an ignored request looks pending to its sender. */
  state: number;
  from: Card | undefined;
  to: Card | undefined;
}

export interface FriendView {
  user: Card;
  remark: string;
  conversationId: string;
  since: number;
  online: boolean;
  lastSeenMs: number;
}

export interface ContactsServiceDeps {
  repo: ContactsRepository;
  directory: Directory;
  sync: ConversationSync;
  push: ContactPush;
  ids: IdGenerator;
  clock: Clock;
  rules: { maxPendingRequests: number };
  /** Exact email/phone searches per user, so the directory cannot be used to test addresses in bulk. */
  exactSearches: WindowLimit;
  /** Presence as the gateways record it (friends may see each other's). */
  presence(userIds: string[]): Promise<{ userId: string; online: boolean; lastSeenMs: number }[]>;
  /** Marks people's friendships, blocks or remarks as changed (after the commit), for caches elsewhere. */
  graphChanged(userIds: string[]): Promise<void>;
}

const cannotTargetSelf = () => new AppError(ErrorCode.CANNOT_TARGET_SELF, 'you cannot do this to yourself');
const notFriends = () => new AppError(ErrorCode.NOT_FRIENDS, 'you are not friends with this user');

/**
 * People: search, friend requests, friends, remarks and blocks. Reads profiles from the
 * auth service's directory; tells the message service who may send to whom (through
 * {@link ConversationSync}); pushes hints to live sockets.
 */
export class ContactsService {
  constructor(private readonly d: ContactsServiceDeps) {}

  /**
   * Directory search, minus anyone who blocks the caller. A query that reads as an exact email
   * or phone (the directory's own rule: it holds '@' or starts with '+') tells whether that
   * address has an account, so those are counted per user, found or not.
   */
  async search(actor: Actor, query: string, limit: number): Promise<Card[]> {
    const q = query.trim();
    if (q.includes('@') || q.startsWith('+')) {
      const wait = await this.d.exactSearches.hit(actor.userId);
      if (wait !== undefined) {
        throw errors.rateLimited(wait, 'too many searches by email or phone; try again later');
      }
    }
    const found = await this.d.directory.find(query, limit, actor.requestId);
    const blockers = await this.d.repo.blockersAmong(
      actor.userId,
      found.map((c) => c.id),
    );
    return found.filter((c) => !blockers.has(c.id));
  }

  /** Profiles in the order asked; unknown ids are left out. */
  async getUsers(actor: Actor, ids: string[]): Promise<Card[]> {
    const cards = await this.d.directory.lookup(ids, actor.requestId);
    return ids.flatMap((id) => cards.get(id) ?? []);
  }

  async sendRequest(
    actor: Actor,
    toId: string,
    note: string,
  ): Promise<{ request: RequestView; becameFriends: boolean }> {
    const me = actor.userId;
    if (toId === me) throw cannotTargetSelf();
    const { repo } = this.d;
    if (!(await this.d.directory.exists(toId, actor.requestId))) throw errors.notFound('no such user');
    if (await repo.blocks(toId, me)) {
      throw new AppError(ErrorCode.BLOCKED, 'you cannot send a friend request to this user');
    }
    if (await repo.blocks(me, toId)) throw new AppError(ErrorCode.BLOCKED, 'unblock this user first');
    if (await repo.friend(me, toId)) throw new AppError(ErrorCode.ALREADY_FRIENDS, 'you are already friends');

    const now = this.d.clock.now();
    const theirs = await repo.requestBetween(toId, me);
    const theyAsked = theirs?.state === RequestState.PENDING || theirs?.state === RequestState.IGNORED;
    const mine = await repo.requestBetween(me, toId);
    const mineOpen = mine?.state === RequestState.PENDING || mine?.state === RequestState.IGNORED;
    if (!theyAsked && !mineOpen && (await repo.countOpenOutgoing(me)) >= this.d.rules.maxPendingRequests) {
      throw errors.rateLimited(3600, 'too many unanswered friend requests; wait for some answers');
    }
    const row = await repo.openRequest({ id: this.d.ids.next(), fromId: me, toId, note, now });
    if (theyAsked) {
      // They asked first: this request is the answer.
      await this.befriend(actor, toId);
      const accepted = (await repo.request(row.id))!;
      return { request: await this.view(accepted, me, actor.requestId), becameFriends: true };
    }
    await this.d.push.send([toId], 'friend_request', { userId: me, requestId: row.id });
    return { request: await this.view(row, me, actor.requestId), becameFriends: false };
  }

  async listRequests(actor: Actor): Promise<{ incoming: RequestView[]; outgoing: RequestView[] }> {
    const { repo } = this.d;
    const [incoming, outgoing] = await Promise.all([
      repo.incomingRequests(actor.userId, [RequestState.PENDING], LIMITS.listRequests),
      repo.outgoingRequests(
        actor.userId,
        [RequestState.PENDING, RequestState.IGNORED, RequestState.DECLINED],
        LIMITS.listRequests,
      ),
    ]);
    const cards = await this.d.directory.lookup(
      [...incoming, ...outgoing].flatMap((r) => [r.fromId, r.toId]),
      actor.requestId,
    );
    const toView = (r: RequestRow) => this.viewWith(r, actor.userId, cards);
    return { incoming: incoming.map(toView), outgoing: outgoing.map(toView) };
  }

  /** Answers an incoming request; returns the 1:1 conversation id when accepted. */
  async respond(actor: Actor, requestId: string, action: Response): Promise<string> {
    const { repo } = this.d;
    const r = await repo.request(requestId);
    if (!r || r.toId !== actor.userId) throw errors.notFound('no such friend request');
    const open = r.state === RequestState.PENDING || r.state === RequestState.IGNORED;
    const now = this.d.clock.now();
    switch (action) {
      case 'accept':
        // Accepting again repeats the sync, so a retry after a failed one completes it.
        if (open || (r.state === RequestState.ACCEPTED && (await repo.friend(r.toId, r.fromId)))) {
          return this.befriend(actor, r.fromId);
        }
        throw errors.notFound('this friend request is no longer open');
      case 'decline':
        if (!open && r.state !== RequestState.DECLINED)
          throw errors.notFound('this friend request is no longer open');
        await repo.setRequestState(r.id, RequestState.DECLINED, now);
        return '';
      case 'ignore':
        if (!open) throw errors.notFound('this friend request is no longer open');
        await repo.setRequestState(r.id, RequestState.IGNORED, now);
        return '';
    }
  }

  async listFriends(actor: Actor): Promise<FriendView[]> {
    const rows = await this.d.repo.friends(actor.userId);
    const cards = await this.d.directory.lookup(
      rows.map((r) => r.friendId),
      actor.requestId,
    );
    // Presence is shown only where the pair is not blocked (the presence audience rule).
    const audience = await this.d.repo.presenceAudience(actor.userId);
    const presence = new Map((await this.d.presence(audience)).map((p) => [p.userId, p]));
    return rows.flatMap((r) => {
      const user = cards.get(r.friendId);
      const p = presence.get(r.friendId);
      return user
        ? [
            {
              user,
              remark: r.remark,
              conversationId: r.conversationId ?? '',
              since: r.createdAt,
              online: p?.online ?? false,
              lastSeenMs: p?.lastSeenMs ?? 0,
            },
          ]
        : [];
    });
  }

  async setRemark(actor: Actor, friendId: string, remark: string): Promise<void> {
    if (!(await this.d.repo.setRemark(actor.userId, friendId, remark))) throw notFriends();
    // How the actor sees the friend changed: caches of what they see (moments) read again.
    await this.d.graphChanged([actor.userId]);
  }

  /** Ends the friendship for both sides; neither can send in the 1:1 chat afterwards. */
  async deleteFriend(actor: Actor, friendId: string): Promise<void> {
    if (friendId === actor.userId) throw cannotTargetSelf();
    const key = pairKey(actor.userId, friendId);
    const token = await this.d.repo.transaction(async (tx) => {
      if (!(await tx.removeFriendship(actor.userId, friendId))) throw notFriends();
      return tx.markSync(key, this.d.clock.now());
    });
    await this.d.graphChanged([actor.userId, friendId]);
    await this.d.push.send([actor.userId], 'friend_removed', { userId: friendId }, actor.sessionId);
    await this.d.push.send([friendId], 'friend_removed', { userId: actor.userId });
    await this.d.sync.direct(actor.userId, friendId, token, actor.requestId);
  }

  /**
   * Blocks a user: they can no longer message the caller, send requests, or see their
   * presence. A friendship stays (unblocking restores the chat); their pending request to
   * the caller is quietly hidden, so the block is never announced to them.
   */
  async block(actor: Actor, userId: string): Promise<void> {
    if (userId === actor.userId) throw cannotTargetSelf();
    if (!(await this.d.directory.exists(userId, actor.requestId))) throw errors.notFound('no such user');
    await this.changeBlock(actor, userId, async (tx, now) => {
      await tx.block(actor.userId, userId, now);
      await tx.ignorePendingFrom(userId, actor.userId, now);
    });
  }

  async unblock(actor: Actor, userId: string): Promise<void> {
    if (userId === actor.userId) throw cannotTargetSelf();
    await this.changeBlock(actor, userId, async (tx) => {
      await tx.unblock(actor.userId, userId);
    });
  }

  async listBlocked(actor: Actor): Promise<Card[]> {
    const ids = await this.d.repo.blocked(actor.userId);
    const cards = await this.d.directory.lookup(ids, actor.requestId);
    return ids.flatMap((id) => cards.get(id) ?? []);
  }

  /** Friends who may see the user's presence: anyone in a block relation is left out. */
  presenceAudience(userId: string): Promise<string[]> {
    return this.d.repo.presenceAudience(userId);
  }

  /** Makes two people friends (idempotent) and opens their chat; returns its id. */
  private async befriend(actor: Actor, other: string): Promise<string> {
    const me = actor.userId;
    const token = await this.d.repo.transaction(async (tx) => {
      const now = this.d.clock.now();
      await tx.addFriendship(me, other, now);
      await tx.acceptRequestsBetween(me, other, now);
      return tx.markSync(pairKey(me, other), now);
    });
    await this.d.graphChanged([me, other]);
    await this.d.push.send([me], 'friend_added', { userId: other }, actor.sessionId);
    await this.d.push.send([other], 'friend_added', { userId: me });
    return this.d.sync.direct(me, other, token, actor.requestId);
  }

  /** A block change, then (for friends) the pair's new sending rights. */
  private async changeBlock(
    actor: Actor,
    other: string,
    change: (tx: ContactsRepository, now: number) => Promise<void>,
  ): Promise<void> {
    const token = await this.d.repo.transaction(async (tx) => {
      const now = this.d.clock.now();
      await change(tx, now);
      // Strangers have no chat to update: they cannot send to each other anyway.
      return (await tx.friend(actor.userId, other))
        ? tx.markSync(pairKey(actor.userId, other), now)
        : undefined;
    });
    await this.d.graphChanged([actor.userId, other]);
    if (token) await this.d.sync.direct(actor.userId, other, token, actor.requestId);
  }

  private async view(r: RequestRow, viewer: string, requestId: string): Promise<RequestView> {
    return this.viewWith(r, viewer, await this.d.directory.lookup([r.fromId, r.toId], requestId));
  }

  private viewWith(r: RequestRow, viewer: string, cards: Map<string, Card>): RequestView {
    const state = r.state === RequestState.IGNORED && r.fromId === viewer ? RequestState.PENDING : r.state;
    return { row: r, state, from: cards.get(r.fromId), to: cards.get(r.toId) };
  }
}
