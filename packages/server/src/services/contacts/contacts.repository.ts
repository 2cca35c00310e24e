import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import { asId, asNum, isUniqueViolation, type SqlDatabase } from '../../adapters/sql/sql.js';
import type { ContactsTables } from './contacts.tables.js';

/** Friend request states, numbered as mychat.contacts.v1.FriendRequestState. */
export const RequestState = { PENDING: 1, ACCEPTED: 2, DECLINED: 3, IGNORED: 4 } as const;

export interface RequestRow {
  id: string;
  fromId: string;
  toId: string;
  note: string;
  state: number;
  createdAt: number;
  updatedAt: number;
}

export interface FriendRow {
  friendId: string;
  remark: string;
  conversationId: string | null;
  createdAt: number;
}

const toRequest = (r: Record<string, unknown>): RequestRow => ({
  id: asId(r.id),
  fromId: asId(r.from_id),
  toId: asId(r.to_id),
  note: r.note as string,
  state: asNum(r.state),
  createdAt: asNum(r.created_at),
  updatedAt: asNum(r.updated_at),
});

const toFriend = (r: Record<string, unknown>): FriendRow => ({
  friendId: asId(r.friend_id),
  remark: r.remark as string,
  conversationId:
    r.conversation_id === null || r.conversation_id === undefined ? null : asId(r.conversation_id),
  createdAt: asNum(r.created_at),
});

/** The sync key of a 1:1 pair: the same whichever side is named first. */
export function pairKey(a: string, b: string): string {
  const [lo, hi] = BigInt(a) < BigInt(b) ? [a, b] : [b, a];
  return `d:${lo}:${hi}`;
}

/**
 * Friends, requests, blocks and the pending-sync markers. Bound to the database or to one
 * transaction ({@link ContactsRepository.transaction}). Nothing outside contacts reads these.
 */
export class ContactsRepository {
  constructor(readonly db: Kysely<ContactsTables>) {}

  static of(sql: SqlDatabase): ContactsRepository {
    return new ContactsRepository(sql.db as Kysely<ContactsTables>);
  }

  transaction<T>(fn: (repo: ContactsRepository) => Promise<T>): Promise<T> {
    return this.db.transaction().execute((tx) => fn(new ContactsRepository(tx)));
  }

  // ---- friend requests

  async request(id: string): Promise<RequestRow | undefined> {
    const r = await this.db
      .selectFrom('contacts_friend_requests')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    return r && toRequest(r);
  }

  async requestBetween(fromId: string, toId: string): Promise<RequestRow | undefined> {
    const r = await this.db
      .selectFrom('contacts_friend_requests')
      .selectAll()
      .where('from_id', '=', fromId)
      .where('to_id', '=', toId)
      .executeTakeFirst();
    return r && toRequest(r);
  }

  /**
   * Opens (or reopens, with the new note) the one request row of the pair `from -> to`.
   * Two racing first requests meet at the unique pair index; the loser updates instead.
   */
  async openRequest(r: {
    id: string;
    fromId: string;
    toId: string;
    note: string;
    now: number;
  }): Promise<RequestRow> {
    const update = async () => {
      await this.db
        .updateTable('contacts_friend_requests')
        .set({ note: r.note, state: RequestState.PENDING, updated_at: r.now })
        .where('from_id', '=', r.fromId)
        .where('to_id', '=', r.toId)
        .execute();
      return (await this.requestBetween(r.fromId, r.toId))!;
    };
    if (await this.requestBetween(r.fromId, r.toId)) return update();
    try {
      await this.db
        .insertInto('contacts_friend_requests')
        .values({
          id: r.id,
          from_id: r.fromId,
          to_id: r.toId,
          note: r.note,
          state: RequestState.PENDING,
          created_at: r.now,
          updated_at: r.now,
        })
        .execute();
    } catch (err) {
      if (!isUniqueViolation(err)) throw err;
      return update();
    }
    return (await this.requestBetween(r.fromId, r.toId))!;
  }

  async setRequestState(id: string, state: number, now: number): Promise<void> {
    await this.db
      .updateTable('contacts_friend_requests')
      .set({ state, updated_at: now })
      .where('id', '=', id)
      .execute();
  }

  /** Marks the open requests between two people, in either direction, as accepted. */
  async acceptRequestsBetween(a: string, b: string, now: number): Promise<void> {
    await this.db
      .updateTable('contacts_friend_requests')
      .set({ state: RequestState.ACCEPTED, updated_at: now })
      .where((w) =>
        w.or([
          w.and([w('from_id', '=', a), w('to_id', '=', b)]),
          w.and([w('from_id', '=', b), w('to_id', '=', a)]),
        ]),
      )
      .where('state', 'in', [RequestState.PENDING, RequestState.IGNORED])
      .execute();
  }

  /** Quietly hides a pending request from `fromId` to `toId` (used when `toId` blocks them). */
  async ignorePendingFrom(fromId: string, toId: string, now: number): Promise<void> {
    await this.db
      .updateTable('contacts_friend_requests')
      .set({ state: RequestState.IGNORED, updated_at: now })
      .where('from_id', '=', fromId)
      .where('to_id', '=', toId)
      .where('state', '=', RequestState.PENDING)
      .execute();
  }

  async incomingRequests(userId: string, states: number[], limit: number): Promise<RequestRow[]> {
    const rows = await this.db
      .selectFrom('contacts_friend_requests')
      .selectAll()
      .where('to_id', '=', userId)
      .where('state', 'in', states)
      .orderBy('updated_at', 'desc')
      .limit(limit)
      .execute();
    return rows.map(toRequest);
  }

  async outgoingRequests(userId: string, states: number[], limit: number): Promise<RequestRow[]> {
    const rows = await this.db
      .selectFrom('contacts_friend_requests')
      .selectAll()
      .where('from_id', '=', userId)
      .where('state', 'in', states)
      .orderBy('updated_at', 'desc')
      .limit(limit)
      .execute();
    return rows.map(toRequest);
  }

  /** Requests the user sent that the other side has not answered (ignored ones look unanswered). */
  async countOpenOutgoing(userId: string): Promise<number> {
    const r = await this.db
      .selectFrom('contacts_friend_requests')
      .select((s) => s.fn.countAll().as('n'))
      .where('from_id', '=', userId)
      .where('state', 'in', [RequestState.PENDING, RequestState.IGNORED])
      .executeTakeFirst();
    return asNum(r?.n);
  }

  // ---- friends

  async friend(userId: string, friendId: string): Promise<FriendRow | undefined> {
    const r = await this.db
      .selectFrom('contacts_friends')
      .selectAll()
      .where('user_id', '=', userId)
      .where('friend_id', '=', friendId)
      .executeTakeFirst();
    return r && toFriend(r);
  }

  async friends(userId: string): Promise<FriendRow[]> {
    const rows = await this.db
      .selectFrom('contacts_friends')
      .selectAll()
      .where('user_id', '=', userId)
      .orderBy('created_at')
      .execute();
    return rows.map(toFriend);
  }

  /** Of `candidates`, those who are friends of `userId`. */
  async friendsAmong(userId: string, candidates: readonly string[]): Promise<Set<string>> {
    if (candidates.length === 0) return new Set();
    const rows = await this.db
      .selectFrom('contacts_friends')
      .select('friend_id')
      .where('user_id', '=', userId)
      .where('friend_id', 'in', candidates)
      .execute();
    return new Set(rows.map((r) => asId(r.friend_id)));
  }

  /** Both rows of a friendship; rows already there are kept (with their remark). */
  async addFriendship(a: string, b: string, now: number): Promise<void> {
    for (const [u, f] of [
      [a, b],
      [b, a],
    ] as const) {
      if (await this.friend(u, f)) continue;
      await this.db
        .insertInto('contacts_friends')
        .values({ user_id: u, friend_id: f, remark: '', conversation_id: null, created_at: now })
        .execute();
    }
  }

  /** Removes both rows; false when they were not friends. */
  async removeFriendship(a: string, b: string): Promise<boolean> {
    const res = await this.db
      .deleteFrom('contacts_friends')
      .where((w) =>
        w.or([
          w.and([w('user_id', '=', a), w('friend_id', '=', b)]),
          w.and([w('user_id', '=', b), w('friend_id', '=', a)]),
        ]),
      )
      .executeTakeFirst();
    return Number(res.numDeletedRows) > 0;
  }

  async setRemark(userId: string, friendId: string, remark: string): Promise<boolean> {
    const res = await this.db
      .updateTable('contacts_friends')
      .set({ remark })
      .where('user_id', '=', userId)
      .where('friend_id', '=', friendId)
      .executeTakeFirst();
    return Number(res.numUpdatedRows) > 0;
  }

  async setConversationId(a: string, b: string, conversationId: string): Promise<void> {
    await this.db
      .updateTable('contacts_friends')
      .set({ conversation_id: conversationId })
      .where((w) =>
        w.or([
          w.and([w('user_id', '=', a), w('friend_id', '=', b)]),
          w.and([w('user_id', '=', b), w('friend_id', '=', a)]),
        ]),
      )
      .execute();
  }

  /** The user's friends, minus anyone in a block relation with them in either direction. */
  async presenceAudience(userId: string): Promise<string[]> {
    const rows = await this.db
      .selectFrom('contacts_friends as f')
      .select('f.friend_id')
      .where('f.user_id', '=', userId)
      .where(({ not, exists, selectFrom }) =>
        not(
          exists(
            selectFrom('contacts_blocks as b')
              .select('b.user_id')
              .where((w) =>
                w.or([
                  w.and([w('b.user_id', '=', userId), w('b.blocked_id', '=', w.ref('f.friend_id'))]),
                  w.and([w('b.user_id', '=', w.ref('f.friend_id')), w('b.blocked_id', '=', userId)]),
                ]),
              ),
          ),
        ),
      )
      .execute();
    return rows.map((r) => asId(r.friend_id));
  }

  // ---- blocks

  async blocks(userId: string, blockedId: string): Promise<boolean> {
    const r = await this.db
      .selectFrom('contacts_blocks')
      .select('user_id')
      .where('user_id', '=', userId)
      .where('blocked_id', '=', blockedId)
      .executeTakeFirst();
    return r !== undefined;
  }

  /** Of `candidates`, those who block `userId`. */
  async blockersAmong(userId: string, candidates: readonly string[]): Promise<Set<string>> {
    if (candidates.length === 0) return new Set();
    const rows = await this.db
      .selectFrom('contacts_blocks')
      .select('user_id')
      .where('blocked_id', '=', userId)
      .where('user_id', 'in', candidates)
      .execute();
    return new Set(rows.map((r) => asId(r.user_id)));
  }

  /** Blocks; false when the block was already there. */
  async block(userId: string, blockedId: string, now: number): Promise<boolean> {
    if (await this.blocks(userId, blockedId)) return false;
    try {
      await this.db
        .insertInto('contacts_blocks')
        .values({ user_id: userId, blocked_id: blockedId, created_at: now })
        .execute();
      return true;
    } catch (err) {
      if (isUniqueViolation(err)) return false;
      throw err;
    }
  }

  async unblock(userId: string, blockedId: string): Promise<boolean> {
    const res = await this.db
      .deleteFrom('contacts_blocks')
      .where('user_id', '=', userId)
      .where('blocked_id', '=', blockedId)
      .executeTakeFirst();
    return Number(res.numDeletedRows) > 0;
  }

  async blocked(userId: string): Promise<string[]> {
    const rows = await this.db
      .selectFrom('contacts_blocks')
      .select('blocked_id')
      .where('user_id', '=', userId)
      .orderBy('created_at', 'desc')
      .execute();
    return rows.map((r) => asId(r.blocked_id));
  }

  // ---- pending sync with the message service

  /** Marks a conversation as owed to the message service; returns this mark's token. */
  async markSync(key: string, now: number): Promise<string> {
    const token = randomBytes(12).toString('base64url');
    await this.db.deleteFrom('contacts_pending_sync').where('sync_key', '=', key).execute();
    await this.db
      .insertInto('contacts_pending_sync')
      .values({ sync_key: key, token, created_at: now })
      .execute();
    return token;
  }

  /** Clears a mark, unless a later change re-marked the conversation meanwhile. */
  async clearSync(key: string, token: string): Promise<void> {
    await this.db
      .deleteFrom('contacts_pending_sync')
      .where('sync_key', '=', key)
      .where('token', '=', token)
      .execute();
  }

  async pendingSync(olderThan: number, limit: number): Promise<{ key: string; token: string }[]> {
    const rows = await this.db
      .selectFrom('contacts_pending_sync')
      .selectAll()
      .where('created_at', '<=', olderThan)
      .orderBy('created_at')
      .limit(limit)
      .execute();
    return rows.map((r) => ({ key: r.sync_key, token: r.token }));
  }
}
