import { createHash, randomBytes } from 'node:crypto';
import { AppError, ErrorCode, errors } from '../../kernel/errors.js';
import type { Clock } from '../../kernel/clock.js';
import type { IdGenerator } from '../../kernel/ids.js';
import type { Actor, Card, ContactPush, Directory, GroupState } from './contacts.peers.js';
import { ContactsRepository } from './contacts.repository.js';
import type { ConversationSync } from './contacts.sync.js';
import { GroupRole } from './contacts.validation.js';
import { groupRules } from './groups.permissions.js';
import type { GroupRow, GroupsRepository, InviteRow, MemberRow } from './groups.repository.js';

export interface GroupView {
  group: GroupRow;
  role: number;
  memberCount: number;
  maxMembers: number;
}

export interface MemberView extends MemberRow {
  user: Card;
}

/** What one change did, for the pushes and the message service. */
interface Effect {
  event?: GroupState['event'];
  joined?: string[];
  left?: string[];
  dissolved?: { name: string };
}

export interface GroupsServiceDeps {
  groups: GroupsRepository;
  contacts: ContactsRepository;
  directory: Directory;
  sync: ConversationSync;
  push: ContactPush;
  ids: IdGenerator;
  clock: Clock;
  rules: { maxGroupMembers: number };
}

const notAMember = (who = 'you are') =>
  new AppError(ErrorCode.NOT_A_MEMBER, `${who} not a member of this group`);
/**
 * The answer to a caller outside a group, the same as for an id that names no group: group
 * ids are time-ordered, so a different answer would let anyone list every group that exists.
 */
const noSuchGroup = () => errors.notFound('no such group');
const groupFull = (max: number) => new AppError(ErrorCode.GROUP_FULL, `a group has at most ${max} members`);
const inviteInvalid = () =>
  new AppError(ErrorCode.INVITE_INVALID, 'this invite link is not valid or has expired');
const hashToken = (t: string) => createHash('sha256').update(t).digest('hex');
const roleName = (r: number) =>
  r === GroupRole.OWNER ? 'owner' : r === GroupRole.ADMIN ? 'admin' : 'member';

/**
 * Groups: membership, roles, invites, settings. Each change runs in one transaction that
 * locks the group row, marks the group as owed to the message service, and commits; then
 * members are told and the complete membership goes to the message service.
 */
export class GroupsService {
  constructor(private readonly d: GroupsServiceDeps) {}

  /** Creates a group with the caller as owner and some of their friends as members. */
  async create(actor: Actor, name: string, memberIds: string[]): Promise<GroupView> {
    const me = actor.userId;
    const others = memberIds.filter((id) => id !== me);
    const friends = await this.d.contacts.friendsAmong(me, others);
    if (others.some((id) => !friends.has(id))) {
      throw new AppError(ErrorCode.NOT_FRIENDS, 'a new group starts with your friends only');
    }
    if ((await this.d.contacts.blockersAmong(me, others)).size > 0) {
      throw new AppError(ErrorCode.BLOCKED, 'someone on the list cannot be added by you');
    }
    if (others.length + 1 > this.d.rules.maxGroupMembers) throw groupFull(this.d.rules.maxGroupMembers);
    const id = this.d.ids.next();
    const now = this.d.clock.now();
    const token = await this.d.groups.transaction(async (tx) => {
      await tx.insertGroup({ id, name, announcement: '', ownerId: me, createdAt: now });
      await tx.addMembers(
        id,
        [
          { userId: me, role: GroupRole.OWNER },
          ...others.map((userId) => ({ userId, role: GroupRole.MEMBER })),
        ],
        now,
      );
      return new ContactsRepository(tx.db).markSync(`g:${id}`, now);
    });
    await this.after(actor, id, token, {
      event: { kind: 'group_created', args: { name } },
      joined: [me, ...others],
    });
    return this.get(actor, id);
  }

  async get(actor: Actor, groupId: string): Promise<GroupView> {
    const g = await this.d.groups.group(groupId);
    const me = g && (await this.d.groups.member(groupId, actor.userId));
    if (!g || !me) throw noSuchGroup();
    const counts = await this.d.groups.memberCounts([groupId]);
    return this.view(g, me.role, counts.get(groupId) ?? 0);
  }

  async listMine(actor: Actor): Promise<GroupView[]> {
    const mine = await this.d.groups.groupsOf(actor.userId);
    const counts = await this.d.groups.memberCounts(mine.map((m) => m.group.id));
    return mine.map((m) => this.view(m.group, m.role, counts.get(m.group.id) ?? 0));
  }

  /** The caller's groups that `userId` is also in (a contact's "groups in common"). */
  async listShared(actor: Actor, userId: string): Promise<GroupView[]> {
    if (userId === actor.userId) return [];
    const mine = await this.d.groups.groupsOf(actor.userId);
    const theirs = await this.d.groups.rolesOf(
      userId,
      mine.map((m) => m.group.id),
    );
    const shared = mine.filter((m) => theirs.has(m.group.id));
    const counts = await this.d.groups.memberCounts(shared.map((m) => m.group.id));
    return shared.map((m) => this.view(m.group, m.role, counts.get(m.group.id) ?? 0));
  }

  async members(actor: Actor, groupId: string): Promise<MemberView[]> {
    await this.get(actor, groupId);
    const rows = await this.d.groups.members(groupId);
    const cards = await this.d.directory.lookup(
      rows.map((r) => r.userId),
      actor.requestId,
    );
    return rows.map((r) => ({
      ...r,
      user: cards.get(r.userId) ?? { id: r.userId, nickname: '', avatarUrl: '', signature: '' },
    }));
  }

  /** Adds people at once (no acceptance step), so each must be the adder's friend (NOT_FRIENDS). */
  async invite(actor: Actor, groupId: string, userIds: string[]): Promise<GroupView> {
    const me = actor.userId;
    const cards = await this.d.directory.lookup(userIds, actor.requestId);
    if (userIds.some((id) => !cards.has(id))) throw errors.notFound('no such user');
    if ((await this.d.contacts.blockersAmong(me, userIds)).size > 0) {
      throw new AppError(ErrorCode.BLOCKED, 'someone on the list cannot be added by you');
    }
    const friends = await this.d.contacts.friendsAmong(me, userIds);
    await this.change(actor, groupId, async (tx) => {
      const current = new Set((await tx.members(groupId)).map((m) => m.userId));
      const added = userIds.filter((id) => !current.has(id));
      for (const id of added) groupRules.invite(friends.has(id));
      if (current.size + added.length > this.d.rules.maxGroupMembers)
        throw groupFull(this.d.rules.maxGroupMembers);
      await tx.addMembers(
        groupId,
        added.map((userId) => ({ userId, role: GroupRole.MEMBER })),
        this.d.clock.now(),
      );
      return added.length === 0
        ? {}
        : { joined: added, event: { kind: 'member_joined', args: { user_ids: added.join(','), by: me } } };
    });
    return this.get(actor, groupId);
  }

  /** A link anyone may join with until it expires. The token is shown once; only its hash is kept. */
  async createInviteLink(
    actor: Actor,
    groupId: string,
    ttlHours: number,
  ): Promise<{ token: string; expiresAt: number; linkId: string }> {
    const view = await this.get(actor, groupId);
    groupRules.manage(view.role);
    const token = randomBytes(16).toString('base64url');
    const now = this.d.clock.now();
    const expiresAt = now + ttlHours * 3_600_000;
    const tokenHash = hashToken(token);
    await this.d.groups.deleteExpiredInvites(groupId, now);
    await this.d.groups.insertInvite({ tokenHash, groupId, createdBy: actor.userId, now, expiresAt });
    // The hash names the link: it is not the token, so it cannot be used to join.
    return { token, expiresAt, linkId: tokenHash };
  }

  /** The group's working links, for its owner and admins (who may revoke any of them). */
  async inviteLinks(actor: Actor, groupId: string): Promise<InviteRow[]> {
    groupRules.manage((await this.get(actor, groupId)).role);
    return this.d.groups.invites(groupId, this.d.clock.now());
  }

  async revokeInviteLink(actor: Actor, groupId: string, linkId: string): Promise<void> {
    groupRules.manage((await this.get(actor, groupId)).role);
    if (!(await this.d.groups.deleteInvite(groupId, linkId))) throw errors.notFound('no such invite link');
  }

  async joinByInvite(actor: Actor, token: string): Promise<GroupView> {
    const tokenHash = hashToken(token);
    const invite = await this.d.groups.invite(tokenHash);
    if (!invite || invite.expiresAt <= this.d.clock.now()) throw inviteInvalid();
    const groupId = invite.groupId;
    await this.change(
      actor,
      groupId,
      async (tx, _g, mine) => {
        if (mine) return {}; // already in: joining again changes nothing
        // Under the group's lock: revoked meanwhile, its maker no longer an admin, or made
        // before this person was removed (the admins did not mean to let them back).
        if (!(await tx.invite(tokenHash))) throw inviteInvalid();
        const maker = await tx.member(groupId, invite.createdBy);
        if (!maker || maker.role < GroupRole.ADMIN) throw inviteInvalid();
        const removed = await tx.removedAt(groupId, actor.userId);
        if (removed !== undefined && invite.createdAt <= removed) throw inviteInvalid();
        const count = (await tx.members(groupId)).length;
        if (count + 1 > this.d.rules.maxGroupMembers) throw groupFull(this.d.rules.maxGroupMembers);
        await tx.addMembers(groupId, [{ userId: actor.userId, role: GroupRole.MEMBER }], this.d.clock.now());
        return {
          joined: [actor.userId],
          event: { kind: 'member_joined', args: { user_ids: actor.userId, via: 'invite_link' } },
        };
      },
      { memberOnly: false, missing: inviteInvalid },
    );
    return this.get(actor, groupId);
  }

  /** Leaves; the owner must transfer first, unless they are the last member (the group ends). */
  async leave(actor: Actor, groupId: string): Promise<void> {
    await this.change(actor, groupId, async (tx, g, mine) => {
      const count = (await tx.members(groupId)).length;
      groupRules.leave(mine.role, count);
      if (count === 1) {
        await tx.deleteGroup(groupId);
        return { left: [actor.userId], dissolved: { name: g.name } };
      }
      await tx.removeMember(groupId, actor.userId);
      await tx.deleteInvitesBy(groupId, actor.userId);
      return { left: [actor.userId], event: { kind: 'member_left', args: { user_id: actor.userId } } };
    });
  }

  async removeMember(actor: Actor, groupId: string, userId: string): Promise<void> {
    await this.change(actor, groupId, async (tx, _g, mine) => {
      const target = await this.target(tx, groupId, userId);
      groupRules.moderate({ id: actor.userId, role: mine.role }, { id: userId, role: target.role });
      await tx.removeMember(groupId, userId);
      await tx.deleteInvitesBy(groupId, userId);
      await tx.recordRemoval(groupId, userId, this.d.clock.now());
      return {
        left: [userId],
        event: { kind: 'member_removed', args: { user_id: userId, by: actor.userId } },
      };
    });
  }

  async setRole(actor: Actor, groupId: string, userId: string, role: number): Promise<void> {
    await this.change(actor, groupId, async (tx, _g, mine) => {
      groupRules.ownerOnly({ id: actor.userId, role: mine.role }, userId);
      const target = await this.target(tx, groupId, userId);
      if (target.role === role) return {};
      await tx.setMember(groupId, userId, { role });
      // Links live only as long as their maker may make links.
      if (role < GroupRole.ADMIN) await tx.deleteInvitesBy(groupId, userId);
      return { event: { kind: 'role_changed', args: { user_id: userId, role: roleName(role) } } };
    });
  }

  /** Makes another member the owner; the old owner becomes an admin. */
  async transfer(actor: Actor, groupId: string, newOwnerId: string): Promise<void> {
    await this.change(actor, groupId, async (tx, _g, mine) => {
      groupRules.ownerOnly({ id: actor.userId, role: mine.role }, newOwnerId);
      await this.target(tx, groupId, newOwnerId);
      await tx.setMember(groupId, newOwnerId, { role: GroupRole.OWNER });
      await tx.setMember(groupId, actor.userId, { role: GroupRole.ADMIN });
      await tx.updateGroup(groupId, { ownerId: newOwnerId });
      return { event: { kind: 'owner_transferred', args: { from: actor.userId, to: newOwnerId } } };
    });
  }

  async update(
    actor: Actor,
    groupId: string,
    p: { name?: string; announcement?: string; avatarUrl?: string },
  ): Promise<GroupView> {
    await this.change(actor, groupId, async (tx, g, mine) => {
      groupRules.manage(mine.role);
      if (p.avatarUrl !== undefined) {
        if (p.avatarUrl === g.avatarUrl) return {};
        await tx.updateGroup(groupId, { avatarUrl: p.avatarUrl });
        return { event: { kind: 'group_avatar_changed', args: {} } };
      }
      const renamed = p.name !== undefined && p.name !== g.name;
      const announced = p.announcement !== undefined && p.announcement !== g.announcement;
      if (!renamed && !announced) return {};
      await tx.updateGroup(groupId, {
        ...(renamed && { name: p.name }),
        ...(announced && { announcement: p.announcement }),
      });
      return renamed
        ? {
            event: {
              kind: 'group_renamed',
              args: { name: p.name!, ...(announced && { announcement: 'updated' }) },
            },
          }
        : { event: { kind: 'announcement_updated', args: {} } };
    });
    return this.get(actor, groupId);
  }

  /** Mutes a member for `seconds` (0 unmutes). */
  async muteMember(actor: Actor, groupId: string, userId: string, seconds: number): Promise<void> {
    await this.change(actor, groupId, async (tx, _g, mine) => {
      const target = await this.target(tx, groupId, userId);
      groupRules.moderate({ id: actor.userId, role: mine.role }, { id: userId, role: target.role });
      const until = seconds === 0 ? 0 : this.d.clock.now() + seconds * 1000;
      await tx.setMember(groupId, userId, { mutedUntil: until });
      const event: Effect['event'] = until
        ? { kind: 'member_muted', args: { user_id: userId, until_ms: String(until) } }
        : { kind: 'member_unmuted', args: { user_id: userId } };
      return { event };
    });
  }

  /** Mutes everyone but the owner and admins, or lifts it. */
  async muteAll(actor: Actor, groupId: string, muted: boolean): Promise<void> {
    await this.change(actor, groupId, async (tx, g, mine) => {
      groupRules.manage(mine.role);
      if (g.mutedAll === muted) return {};
      await tx.updateGroup(groupId, { mutedAll: muted });
      return { event: { kind: 'group_muted', args: { muted: String(muted) } } };
    });
  }

  private async target(tx: GroupsRepository, groupId: string, userId: string): Promise<MemberRow> {
    const t = await tx.member(groupId, userId);
    if (!t) throw notAMember('that user is');
    return t;
  }

  /**
   * One group change: lock the group, check the caller's membership, apply `fn`, mark the
   * group for the message service, commit; then tell people and sync. A change that did
   * nothing still re-sends the state, so repeating a call whose sync failed repairs it.
   */
  async change<M extends boolean = true>(
    actor: Actor,
    groupId: string,
    fn: (
      tx: GroupsRepository,
      g: GroupRow,
      mine: M extends true ? MemberRow : MemberRow | undefined,
    ) => Promise<Effect>,
    opts: { memberOnly?: M; missing?: () => AppError } = {},
  ): Promise<void> {
    const { effect, token } = await this.d.groups.transaction(async (tx) => {
      const now = this.d.clock.now();
      if (!(await tx.lock(groupId, now))) throw (opts.missing ?? noSuchGroup)();
      const g = (await tx.group(groupId))!;
      const mine = await tx.member(groupId, actor.userId);
      if (!mine && opts.memberOnly !== false) throw noSuchGroup();
      const effect = await fn(tx, g, mine as never);
      return { effect, token: await new ContactsRepository(tx.db).markSync(`g:${groupId}`, now) };
    });
    await this.after(actor, groupId, token, effect);
  }

  private async after(actor: Actor, groupId: string, token: string, e: Effect): Promise<void> {
    const { push } = this.d;
    const about = { groupId, userId: actor.userId };
    const joined = new Set(e.joined);
    const stay = e.dissolved ? [] : (await this.d.groups.members(groupId)).map((m) => m.userId);
    if (e.joined?.length) await push.send(e.joined, 'group_joined', about, actor.sessionId);
    if (e.left?.length) await push.send(e.left, 'group_left', about, actor.sessionId);
    const others = stay.filter((id) => !joined.has(id));
    if (others.length && (e.event || e.joined?.length || e.left?.length)) {
      await push.send(others, 'group_changed', about, actor.sessionId);
    }
    await this.d.sync.group(groupId, token, actor.requestId, {
      actorId: actor.userId,
      ...(e.event && { event: e.event }),
      ...(e.dissolved && { dissolvedName: e.dissolved.name, event: { kind: 'group_dissolved', args: {} } }),
    });
  }

  private view(g: GroupRow, role: number, memberCount: number): GroupView {
    return { group: g, role, memberCount, maxMembers: this.d.rules.maxGroupMembers };
  }
}
