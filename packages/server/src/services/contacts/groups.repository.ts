import type { Kysely } from 'kysely';
import { asBool, asId, asNum, type SqlDatabase } from '../../adapters/sql/sql.js';
import type { ContactsTables } from './contacts.tables.js';

export interface GroupRow {
  id: string;
  name: string;
  announcement: string;
  ownerId: string;
  mutedAll: boolean;
  /** The group's picture (contracts/avatars.ts), or ''. */
  avatarUrl: string;
  createdAt: number;
  updatedAt: number;
}

export interface MemberRow {
  userId: string;
  role: number;
  mutedUntil: number;
  joinedAt: number;
}

const toGroup = (r: Record<string, unknown>): GroupRow => ({
  id: asId(r.id),
  name: r.name as string,
  announcement: r.announcement as string,
  ownerId: asId(r.owner_id),
  mutedAll: asBool(r.muted_all),
  avatarUrl: (r.avatar_url as string | undefined) ?? '',
  createdAt: asNum(r.created_at),
  updatedAt: asNum(r.updated_at),
});

const toMember = (r: Record<string, unknown>): MemberRow => ({
  userId: asId(r.user_id),
  role: asNum(r.role),
  mutedUntil: asNum(r.muted_until),
  joinedAt: asNum(r.joined_at),
});

export interface InviteRow {
  tokenHash: string;
  groupId: string;
  createdBy: string;
  createdAt: number;
  expiresAt: number;
}

const toInvite = (r: Record<string, unknown>): InviteRow => ({
  tokenHash: r.token_hash as string,
  groupId: asId(r.group_id),
  createdBy: asId(r.created_by),
  createdAt: asNum(r.created_at),
  expiresAt: asNum(r.expires_at),
});

/**
 * Groups, their members and invite links. Bound to the database or to one transaction.
 * Every change to a group runs in a transaction that first {@link GroupsRepository.lock}s
 * the group row, so concurrent changes (two joins racing for the last seat) take turns.
 */
export class GroupsRepository {
  constructor(readonly db: Kysely<ContactsTables>) {}

  static of(sql: SqlDatabase): GroupsRepository {
    return new GroupsRepository(sql.db as Kysely<ContactsTables>);
  }

  transaction<T>(fn: (repo: GroupsRepository) => Promise<T>): Promise<T> {
    return this.db.transaction().execute((tx) => fn(new GroupsRepository(tx)));
  }

  /**
   * Takes the group's row lock for the rest of the transaction (a row lock on PostgreSQL
   * and MariaDB, the write lock on SQLite) by touching it; false when there is no group.
   * Portable where SELECT ... FOR UPDATE is not (SQLite).
   */
  async lock(groupId: string, now: number): Promise<boolean> {
    const res = await this.db
      .updateTable('contacts_groups')
      .set({ updated_at: now })
      .where('id', '=', groupId)
      .executeTakeFirst();
    return Number(res.numUpdatedRows) > 0;
  }

  async group(id: string): Promise<GroupRow | undefined> {
    const r = await this.db.selectFrom('contacts_groups').selectAll().where('id', '=', id).executeTakeFirst();
    return r && toGroup(r);
  }

  async insertGroup(g: Omit<GroupRow, 'updatedAt' | 'mutedAll' | 'avatarUrl'>): Promise<void> {
    await this.db
      .insertInto('contacts_groups')
      .values({
        id: g.id,
        name: g.name,
        announcement: g.announcement,
        owner_id: g.ownerId,
        muted_all: 0,
        created_at: g.createdAt,
        updated_at: g.createdAt,
      })
      .execute();
  }

  async updateGroup(
    id: string,
    p: { name?: string; announcement?: string; ownerId?: string; mutedAll?: boolean; avatarUrl?: string },
  ) {
    await this.db
      .updateTable('contacts_groups')
      .set({
        ...(p.name !== undefined && { name: p.name }),
        ...(p.announcement !== undefined && { announcement: p.announcement }),
        ...(p.ownerId !== undefined && { owner_id: p.ownerId }),
        ...(p.mutedAll !== undefined && { muted_all: p.mutedAll ? 1 : 0 }),
        ...(p.avatarUrl !== undefined && { avatar_url: p.avatarUrl }),
      })
      .where('id', '=', id)
      .execute();
  }

  /** Removes the group, its members and its invite links. */
  async deleteGroup(id: string): Promise<void> {
    await this.db.deleteFrom('contacts_group_invites').where('group_id', '=', id).execute();
    await this.db.deleteFrom('contacts_group_removals').where('group_id', '=', id).execute();
    await this.db.deleteFrom('contacts_group_members').where('group_id', '=', id).execute();
    await this.db.deleteFrom('contacts_groups').where('id', '=', id).execute();
  }

  async member(groupId: string, userId: string): Promise<MemberRow | undefined> {
    const r = await this.db
      .selectFrom('contacts_group_members')
      .selectAll()
      .where('group_id', '=', groupId)
      .where('user_id', '=', userId)
      .executeTakeFirst();
    return r && toMember(r);
  }

  /** The user's role in each group they belong to, of `groupIds` (the square's group boards). */
  async rolesOf(userId: string, groupIds: readonly string[]): Promise<Map<string, number>> {
    if (groupIds.length === 0) return new Map();
    const rows = await this.db
      .selectFrom('contacts_group_members')
      .select(['group_id', 'role'])
      .where('user_id', '=', userId)
      .where('group_id', 'in', groupIds)
      .execute();
    return new Map(rows.map((r) => [asId(r.group_id), asNum(r.role)]));
  }

  /** Every member, owner first, then admins, then by join time. */
  async members(groupId: string): Promise<MemberRow[]> {
    const rows = await this.db
      .selectFrom('contacts_group_members')
      .selectAll()
      .where('group_id', '=', groupId)
      .orderBy('role', 'desc')
      .orderBy('joined_at')
      .orderBy('user_id')
      .execute();
    return rows.map(toMember);
  }

  async memberCounts(groupIds: readonly string[]): Promise<Map<string, number>> {
    if (groupIds.length === 0) return new Map();
    const rows = await this.db
      .selectFrom('contacts_group_members')
      .select((s) => ['group_id', s.fn.countAll().as('n')])
      .where('group_id', 'in', groupIds)
      .groupBy('group_id')
      .execute();
    return new Map(rows.map((r) => [asId(r.group_id), asNum(r.n)]));
  }

  /** The groups a user is in, with their role. */
  async groupsOf(userId: string): Promise<{ group: GroupRow; role: number }[]> {
    const rows = await this.db
      .selectFrom('contacts_group_members as m')
      .innerJoin('contacts_groups as g', 'g.id', 'm.group_id')
      .selectAll('g')
      .select('m.role')
      .where('m.user_id', '=', userId)
      .orderBy('g.id')
      .execute();
    return rows.map((r) => ({ group: toGroup(r), role: asNum(r.role) }));
  }

  async addMembers(groupId: string, members: readonly { userId: string; role: number }[], now: number) {
    if (members.length === 0) return;
    await this.db
      .insertInto('contacts_group_members')
      .values(
        members.map((m) => ({
          group_id: groupId,
          user_id: m.userId,
          role: m.role,
          muted_until: 0,
          joined_at: now,
        })),
      )
      .execute();
  }

  async removeMember(groupId: string, userId: string): Promise<void> {
    await this.db
      .deleteFrom('contacts_group_members')
      .where('group_id', '=', groupId)
      .where('user_id', '=', userId)
      .execute();
  }

  async setMember(groupId: string, userId: string, p: { role?: number; mutedUntil?: number }): Promise<void> {
    await this.db
      .updateTable('contacts_group_members')
      .set({
        ...(p.role !== undefined && { role: p.role }),
        ...(p.mutedUntil !== undefined && { muted_until: p.mutedUntil }),
      })
      .where('group_id', '=', groupId)
      .where('user_id', '=', userId)
      .execute();
  }

  async insertInvite(i: {
    tokenHash: string;
    groupId: string;
    createdBy: string;
    now: number;
    expiresAt: number;
  }) {
    await this.db
      .insertInto('contacts_group_invites')
      .values({
        token_hash: i.tokenHash,
        group_id: i.groupId,
        created_by: i.createdBy,
        created_at: i.now,
        expires_at: i.expiresAt,
      })
      .execute();
  }

  async invite(tokenHash: string): Promise<InviteRow | undefined> {
    const r = await this.db
      .selectFrom('contacts_group_invites')
      .selectAll()
      .where('token_hash', '=', tokenHash)
      .executeTakeFirst();
    return r && toInvite(r);
  }

  /** A group's links that have not expired, newest first. */
  async invites(groupId: string, now: number): Promise<InviteRow[]> {
    const rows = await this.db
      .selectFrom('contacts_group_invites')
      .selectAll()
      .where('group_id', '=', groupId)
      .where('expires_at', '>', now)
      .orderBy('created_at', 'desc')
      .execute();
    return rows.map(toInvite);
  }

  /** Deletes one link of the group; false when there was none. */
  async deleteInvite(groupId: string, tokenHash: string): Promise<boolean> {
    const r = await this.db
      .deleteFrom('contacts_group_invites')
      .where('group_id', '=', groupId)
      .where('token_hash', '=', tokenHash)
      .executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }

  /** Deletes every link `userId` made in the group (they are no longer an owner or admin). */
  async deleteInvitesBy(groupId: string, userId: string): Promise<void> {
    await this.db
      .deleteFrom('contacts_group_invites')
      .where('group_id', '=', groupId)
      .where('created_by', '=', userId)
      .execute();
  }

  async recordRemoval(groupId: string, userId: string, at: number): Promise<void> {
    await this.db
      .deleteFrom('contacts_group_removals')
      .where('group_id', '=', groupId)
      .where('user_id', '=', userId)
      .execute();
    await this.db
      .insertInto('contacts_group_removals')
      .values({ group_id: groupId, user_id: userId, removed_at: at })
      .execute();
  }

  /** When `userId` was last removed from the group, if ever. */
  async removedAt(groupId: string, userId: string): Promise<number | undefined> {
    const r = await this.db
      .selectFrom('contacts_group_removals')
      .select('removed_at')
      .where('group_id', '=', groupId)
      .where('user_id', '=', userId)
      .executeTakeFirst();
    return r && asNum(r.removed_at);
  }

  /** Drops a group's expired links (called when a new one is made, so they do not pile up). */
  async deleteExpiredInvites(groupId: string, now: number): Promise<void> {
    await this.db
      .deleteFrom('contacts_group_invites')
      .where('group_id', '=', groupId)
      .where('expires_at', '<=', now)
      .execute();
  }
}
