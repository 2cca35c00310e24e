import { AppError, ErrorCode, errors } from '../../kernel/errors.js';
import type { Destination } from './auth.repository.js';

export const CLIENT_TYPES = ['web', 'pc', 'ios', 'android', 'bot'] as const;
export type ClientType = (typeof CLIENT_TYPES)[number];

export const PURPOSES = ['register', 'login', 'reset-password'] as const;
export type Purpose = (typeof PURPOSES)[number];

export const LIMITS = {
  email: 254,
  nickname: 32,
  signature: 200,
  avatarUrl: 1024,
  deviceId: 64,
  deviceName: 64,
  passwordMin: 8,
  passwordMax: 128,
  code: 6,
  refreshToken: 256,
  sessionId: 24,
} as const;

// Deliberately simple: one @, no spaces, a dot in the domain. Real validation is the
// code that arrives in the mailbox.
const EMAIL =
  /^[^\s@"<>()[\]\\,;:]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?)+$/;
const E164 = /^\+[1-9]\d{6,14}$/;
const CONTROL = /[\p{Cc}\p{Cf}\u2028\u2029]/u;

/** Characters as a person counts them (code points, not UTF-16 units). */
export const charCount = (s: string) => [...s].length;

export function normalizeEmail(raw: string): string {
  const v = raw.trim().toLowerCase();
  if (v.length > LIMITS.email) throw errors.tooLong('email', LIMITS.email);
  if (!EMAIL.test(v))
    throw errors.invalid(ErrorCode.INVALID_EMAIL, 'that is not a valid email address', 'email');
  return v;
}

/** E.164 phone numbers; spaces, dashes, dots and parentheses people type are removed. */
export function normalizePhone(raw: string): string {
  if (raw.length > 32) throw errors.tooLong('phone', 32);
  const v = raw.replace(/[\s\-.()]/g, '');
  if (!E164.test(v)) {
    throw errors.invalid(
      ErrorCode.INVALID_PHONE,
      'phone numbers are written in international form, e.g. +8613800138000',
      'phone',
    );
  }
  return v;
}

/** The email or phone of a request's `destination` oneof. */
export function destinationOf(d: { case: 'email' | 'phone' | undefined; value?: string }): Destination {
  if (d.case === 'email') return { kind: 'email', value: normalizeEmail(d.value ?? '') };
  if (d.case === 'phone') return { kind: 'phone', value: normalizePhone(d.value ?? '') };
  throw errors.invalidArgument('an email or a phone number is required', 'email');
}

export function parsePurpose(raw: string): Purpose {
  if ((PURPOSES as readonly string[]).includes(raw)) return raw as Purpose;
  throw errors.invalid(ErrorCode.INVALID_PURPOSE, `purpose must be one of ${PURPOSES.join(', ')}`, 'purpose');
}

export interface DeviceInput {
  clientType: ClientType;
  deviceId: string;
  name: string;
}

export function parseDevice(
  d: { clientType: string; deviceId: string; name: string } | undefined,
): DeviceInput {
  if (!d) throw errors.invalid(ErrorCode.INVALID_DEVICE, 'device is required', 'device');
  if (!(CLIENT_TYPES as readonly string[]).includes(d.clientType)) {
    throw errors.invalid(
      ErrorCode.INVALID_DEVICE,
      `device.clientType must be one of ${CLIENT_TYPES.join(', ')}`,
      'device.clientType',
    );
  }
  if (d.deviceId.length > LIMITS.deviceId) throw errors.tooLong('device.deviceId', LIMITS.deviceId);
  if (!/^[A-Za-z0-9._:-]{1,64}$/.test(d.deviceId)) {
    throw errors.invalid(
      ErrorCode.INVALID_DEVICE,
      'device.deviceId must be 1-64 letters, digits or . _ : -',
      'device.deviceId',
    );
  }
  const name = d.name.trim();
  if (charCount(name) > LIMITS.deviceName) throw errors.tooLong('device.name', LIMITS.deviceName);
  if (CONTROL.test(name))
    throw errors.invalid(ErrorCode.INVALID_DEVICE, 'device.name has control characters', 'device.name');
  return { clientType: d.clientType as ClientType, deviceId: d.deviceId, name: name || d.clientType };
}

export function parseNickname(raw: string): string {
  const v = raw.trim().normalize('NFC');
  if (charCount(v) > LIMITS.nickname) throw errors.tooLong('nickname', LIMITS.nickname);
  if (!v || CONTROL.test(v)) {
    throw errors.invalid(
      ErrorCode.INVALID_NICKNAME,
      'a nickname is 1 to 32 characters without control characters',
      'nickname',
    );
  }
  return v;
}

export function parseSignature(raw: string): string {
  const v = raw.trim().normalize('NFC');
  if (charCount(v) > LIMITS.signature) throw errors.tooLong('signature', LIMITS.signature);
  if (/[\p{Cc}]/u.test(v.replace(/\n/g, '')))
    throw errors.invalidArgument('signature has control characters', 'signature');
  return v;
}

export function parseAvatarUrl(raw: string): string {
  if (raw.length > LIMITS.avatarUrl) throw errors.tooLong('avatarUrl', LIMITS.avatarUrl);
  if (raw === '') return raw;
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw errors.invalidArgument('avatarUrl must be an absolute http(s) URL', 'avatarUrl');
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') {
    throw errors.invalidArgument('avatarUrl must be an absolute http(s) URL', 'avatarUrl');
  }
  return u.toString();
}

/** Shape check only; whether the code is right is the code store's business. */
export function parseCode(raw: string): string {
  if (!/^\d{6}$/.test(raw))
    throw new AppError(ErrorCode.CODE_INVALID, 'the code is 6 digits', { field: 'code' });
  return raw;
}
