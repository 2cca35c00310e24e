import { AppError, ErrorCode, errors } from '../../kernel/errors.js';
import type { Actor, Card, Directory } from './contacts.peers.js';
import type { ContactsRepository } from './contacts.repository.js';
import type { ContactsService } from './contacts.service.js';
import { GroupRole } from './contacts.validation.js';
import type { GroupRow, GroupsRepository, MemberRow } from './groups.repository.js';
import type { GroupsService } from './groups.service.js';

export interface InspectedGroup {
  group: GroupRow;
  members: (MemberRow & { user: Card })[];
}

/**
 * What the operator's console does to groups and to a deleted account's contacts, through
 * ContactsInternalService. The admin service decides who may ask; here the operator acts
 * without being a member, and every change goes through the groups' own transaction (lock,
 * sync to the message service, pushes to members).
 */
export class ContactsAdmin {
  constructor(
    private readonly d: {
      groups: GroupsService;
      groupsRepo: GroupsRepository;
      people: ContactsService;
      contacts: ContactsRepository;
      directory: Directory;
    },
  ) {}

  async inspect(groupId: string, requestId: string): Promise<InspectedGroup> {
    const group = await this.d.groupsRepo.group(groupId);
    if (!group) throw errors.notFound('no such group');
    const rows = await this.d.groupsRepo.members(groupId);
    const cards = await this.d.directory.lookup(
      rows.map((r) => r.userId),
      requestId,
    );
    return {
      group,
      members: rows.map((r) => ({
        ...r,
        user: cards.get(r.userId) ?? { id: r.userId, nickname: '', avatarUrl: '', signature: '' },
      })),
    };
  }

  /** Ends the group for everyone, as when its last member leaves. */
  async dissolve(actor: Actor, groupId: string): Promise<void> {
    await this.d.groups.change(
      actor,
      groupId,
      async (tx, g) => {
        const left = (await tx.members(groupId)).map((m) => m.userId);
        await tx.deleteGroup(groupId);
        return { left, dissolved: { name: g.name } };
      },
      { memberOnly: false },
    );
  }

  /** Makes a member the owner; the old owner, if still a member, becomes an admin. */
  async transfer(actor: Actor, groupId: string, newOwnerId: string): Promise<void> {
    await this.d.groups.change(
      actor,
      groupId,
      async (tx, g) => {
        const target = await tx.member(groupId, newOwnerId);
        if (!target) throw new AppError(ErrorCode.NOT_A_MEMBER, 'that user is not a member of this group');
        if (target.role === GroupRole.OWNER) return {};
        if (await tx.member(groupId, g.ownerId))
          await tx.setMember(groupId, g.ownerId, { role: GroupRole.ADMIN });
        await tx.setMember(groupId, newOwnerId, { role: GroupRole.OWNER });
        await tx.updateGroup(groupId, { ownerId: newOwnerId });
        return { event: { kind: 'owner_transferred', args: { from: g.ownerId, to: newOwnerId } } };
      },
      { memberOnly: false },
    );
  }

  /**
   * A deleted account's contacts: it leaves every group (one it owned passes to its
   * highest-ranked, longest-standing other member, or ends when none is left), every
   * friendship ends (both sides told, the chat closed) and its blocks go.
   */
  async purgeUser(userId: string, requestId: string): Promise<void> {
    const actor: Actor = { userId, sessionId: '', requestId };
    for (const { group, role } of await this.d.groupsRepo.groupsOf(userId)) {
      if (role === GroupRole.OWNER) {
        const heir = (await this.d.groupsRepo.members(group.id))
          .filter((m) => m.userId !== userId)
          .sort((a, b) => b.role - a.role || a.joinedAt - b.joinedAt)[0];
        if (heir) await this.transfer(actor, group.id, heir.userId);
      }
      await this.d.groups.leave(actor, group.id);
    }
    for (const f of await this.d.contacts.friends(userId))
      await this.d.people.deleteFriend(actor, f.friendId);
    for (const blocked of await this.d.contacts.blocked(userId)) await this.d.people.unblock(actor, blocked);
  }
}
