import { describe, expect, it } from 'vitest';
import { AppError } from '../../kernel/errors.js';
import { GroupRole as R } from './contacts.validation.js';
import { groupRules } from './groups.permissions.js';

const reason = (f: () => void): string => {
  try {
    f();
    return 'allowed';
  } catch (err) {
    expect(err).toBeInstanceOf(AppError);
    return (err as AppError).reason;
  }
};

describe('group rules', () => {
  it('moderation (remove, mute): owner over everyone else, admins over members only', () => {
    const table = [
      [R.OWNER, R.ADMIN, 'allowed'],
      [R.OWNER, R.MEMBER, 'allowed'],
      [R.ADMIN, R.MEMBER, 'allowed'],
      [R.ADMIN, R.ADMIN, 'PERMISSION_DENIED'],
      [R.ADMIN, R.OWNER, 'PERMISSION_DENIED'],
      [R.MEMBER, R.MEMBER, 'PERMISSION_DENIED'],
      [R.MEMBER, R.ADMIN, 'PERMISSION_DENIED'],
    ] as const;
    for (const [actor, target, want] of table) {
      expect(
        reason(() => groupRules.moderate({ id: '1', role: actor }, { id: '2', role: target })),
        `${actor}->${target}`,
      ).toBe(want);
    }
    expect(reason(() => groupRules.moderate({ id: '1', role: R.OWNER }, { id: '1', role: R.OWNER }))).toBe(
      'CANNOT_TARGET_SELF',
    );
  });

  it('adding: friends only, whatever the role (strangers come through a link)', () => {
    expect(reason(() => groupRules.invite(true))).toBe('allowed');
    expect(reason(() => groupRules.invite(false))).toBe('NOT_FRIENDS');
  });

  it('settings need an admin; roles and transfer need the owner; the owner leaves last', () => {
    expect(reason(() => groupRules.manage(R.ADMIN))).toBe('allowed');
    expect(reason(() => groupRules.manage(R.MEMBER))).toBe('PERMISSION_DENIED');
    expect(reason(() => groupRules.ownerOnly({ id: '1', role: R.OWNER }, '2'))).toBe('allowed');
    expect(reason(() => groupRules.ownerOnly({ id: '1', role: R.ADMIN }, '2'))).toBe('PERMISSION_DENIED');
    expect(reason(() => groupRules.ownerOnly({ id: '1', role: R.OWNER }, '1'))).toBe('CANNOT_TARGET_SELF');
    expect(reason(() => groupRules.leave(R.OWNER, 2))).toBe('PERMISSION_DENIED');
    expect(reason(() => groupRules.leave(R.OWNER, 1))).toBe('allowed');
    expect(reason(() => groupRules.leave(R.MEMBER, 5))).toBe('allowed');
  });
});
