import { contacts } from '@mychat/protocol';
import { ErrorCode, errors } from '../../kernel/errors.js';
import { parseId } from '../../kernel/ids.js';

/** Input limits of the contacts API (characters are code points, as a person counts them). */
export const LIMITS = {
  note: 200,
  remark: 32,
  groupName: 64,
  announcement: 2000,
  searchQuery: 254,
  idsPerCall: 100,
  inviteTtlHoursDefault: 7 * 24,
  inviteTtlHoursMax: 30 * 24,
  muteSecondsMax: 30 * 24 * 3600,
  listRequests: 200,
} as const;

/** mychat.contacts.v1.GroupRole, as stored in the `role` column (ordered: a higher role may more). */
export const GroupRole = {
  MEMBER: contacts.GroupRole.MEMBER,
  ADMIN: contacts.GroupRole.ADMIN,
  OWNER: contacts.GroupRole.OWNER,
} as const;

export const RESPONSES = ['accept', 'decline', 'ignore'] as const;
export type Response = (typeof RESPONSES)[number];

const CONTROL = /[\p{Cc}\p{Cf}\u2028\u2029]/u;

export const charCount = (s: string) => [...s].length;

/** A list of ids, de-duplicated, at most {@link LIMITS.idsPerCall}. */
export function parseIds(raw: readonly string[], field: string, allowEmpty = true): string[] {
  if (raw.length > LIMITS.idsPerCall) throw errors.invalidArgument(`at most ${LIMITS.idsPerCall} ids`, field);
  if (!allowEmpty && raw.length === 0) throw errors.invalidArgument(`${field} must not be empty`, field);
  return [...new Set(raw.map((id) => parseId(id, field)))];
}

/**
 * Free text a person wrote: trimmed, NFC, at most `max` characters, no control characters
 * (newlines allowed where `multiline`). Empty is allowed unless `required`.
 */
export function parseText(
  raw: string,
  field: string,
  max: number,
  opts: { required?: boolean; multiline?: boolean } = {},
): string {
  // Refuse absurd input before normalising it.
  if (raw.length > max * 4) throw errors.tooLong(field, max);
  const v = raw.trim().normalize('NFC');
  if (charCount(v) > max) throw errors.tooLong(field, max);
  const checked = opts.multiline ? v.replace(/\r?\n/g, '') : v;
  if (CONTROL.test(checked)) throw errors.invalidArgument(`${field} has control characters`, field);
  if (opts.required && !v) throw errors.invalidArgument(`${field} must not be empty`, field);
  return v;
}

export function parseResponse(raw: string): Response {
  if ((RESPONSES as readonly string[]).includes(raw)) return raw as Response;
  throw errors.invalidArgument(`action must be one of ${RESPONSES.join(', ')}`, 'action');
}

/** The lifetime of an invite link, hours: 0 means the default. */
export function parseInviteTtlHours(raw: number): number {
  if (raw === 0) return LIMITS.inviteTtlHoursDefault;
  if (!Number.isInteger(raw) || raw < 1 || raw > LIMITS.inviteTtlHoursMax) {
    throw errors.invalidArgument(`ttlHours must be 1 to ${LIMITS.inviteTtlHoursMax}`, 'ttlHours');
  }
  return raw;
}

export function parseMuteSeconds(raw: number): number {
  if (!Number.isInteger(raw) || raw < 0 || raw > LIMITS.muteSecondsMax) {
    throw errors.invalidArgument(`durationSeconds must be 0 to ${LIMITS.muteSecondsMax}`, 'durationSeconds');
  }
  return raw;
}

/** A settable role: member or admin (ownership moves only by transfer). */
export function parseSettableRole(raw: number): number {
  if (raw === GroupRole.MEMBER || raw === GroupRole.ADMIN) return raw;
  throw errors.invalidArgument('role must be member or admin; ownership moves by transfer', 'role');
}

/** An invite token's shape (22 base64url characters); anything else is simply invalid. */
export function parseInviteToken(raw: string): string {
  if (!/^[A-Za-z0-9_-]{22}$/.test(raw)) {
    throw errors.invalid(ErrorCode.INVITE_INVALID, 'this invite link is not valid', 'token');
  }
  return raw;
}
