import { AppError, ErrorCode, errors } from '../../kernel/errors.js';
import { GroupRole } from './contacts.validation.js';

/**
 * Who may do what in a group: pure functions of the roles involved, so the rules read in
 * one place and are tested without a database. Each throws PERMISSION_DENIED (or
 * CANNOT_TARGET_SELF) and returns nothing when the action is allowed.
 */
export const groupRules = {
  /** Rename, announcement, mute everyone, invite links. */
  manage(actorRole: number): void {
    if (actorRole < GroupRole.ADMIN) throw errors.permissionDenied('only the owner and admins may do this');
  },

  /**
   * Anyone adds their friends only, whatever their role: adding is without the added
   * person's consent, and a friendship is that consent (as in WeChat). Everyone else joins
   * through an invite link, which is their own choice.
   */
  invite(inviteeIsFriend: boolean): void {
    if (inviteeIsFriend) return;
    throw new AppError(ErrorCode.NOT_FRIENDS, 'you can add only your friends; send others an invite link');
  },

  /** The owner removes or mutes anyone else; an admin removes or mutes members only. */
  moderate(actor: { id: string; role: number }, target: { id: string; role: number }): void {
    if (actor.id === target.id)
      throw new AppError(ErrorCode.CANNOT_TARGET_SELF, 'you cannot do this to yourself');
    if (actor.role === GroupRole.OWNER && target.role !== GroupRole.OWNER) return;
    if (actor.role === GroupRole.ADMIN && target.role === GroupRole.MEMBER) return;
    throw errors.permissionDenied(
      actor.role === GroupRole.MEMBER
        ? 'only the owner and admins may do this'
        : 'admins act on members only',
    );
  },

  /** Role changes and ownership transfer: the owner only, never on themselves. */
  ownerOnly(actor: { id: string; role: number }, targetId: string): void {
    if (actor.role !== GroupRole.OWNER) throw errors.permissionDenied('only the owner may do this');
    if (actor.id === targetId)
      throw new AppError(ErrorCode.CANNOT_TARGET_SELF, 'you cannot do this to yourself');
  },

  /** The owner leaves only as the last member (the group ends) or after a transfer. */
  leave(role: number, memberCount: number): void {
    if (role === GroupRole.OWNER && memberCount > 1) {
      throw errors.permissionDenied('transfer ownership before leaving the group');
    }
  },
};
