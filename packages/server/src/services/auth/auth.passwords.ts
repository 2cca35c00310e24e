import { hash, verify, type Algorithm } from '@node-rs/argon2';

// The package's Algorithm is a const enum, which isolated modules cannot read.
const ARGON2ID = 2 as Algorithm.Argon2id;
import { AppError, ErrorCode, errors } from '../../kernel/errors.js';
import { COMMON_PASSWORDS } from './common-passwords.js';
import { charCount, LIMITS } from './auth.validation.js';

export interface PasswordHasherOptions {
  memoryCostKib: number;
  timeCost: number;
}

/**
 * argon2id password hashing (OWASP's recommended parameters by default) and the
 * strength rule: 8 to 128 characters and not a well-known password.
 */
export class PasswordHasher {
  private dummy: Promise<string> | undefined;

  constructor(private readonly opts: PasswordHasherOptions) {}

  hash(password: string): Promise<string> {
    return hash(password, {
      algorithm: ARGON2ID,
      memoryCost: this.opts.memoryCostKib,
      timeCost: this.opts.timeCost,
      parallelism: 1,
    });
  }

  async verify(hashed: string, password: string): Promise<boolean> {
    try {
      return await verify(hashed, password);
    } catch {
      return false;
    }
  }

  /**
   * Spends the same time as a real verification, for logins to unknown accounts, so
   * response time does not tell whether an account exists.
   */
  async verifyNothing(password: string): Promise<void> {
    this.dummy ??= this.hash('mychat-timing-equaliser');
    await this.verify(await this.dummy, password);
  }
}

/** Throws WEAK_PASSWORD (or FIELD_TOO_LONG) unless the password may be used. */
export function checkPasswordStrength(password: string, field = 'password', personal: string[] = []): void {
  const n = charCount(password);
  if (n > LIMITS.passwordMax) throw errors.tooLong(field, LIMITS.passwordMax);
  if (n < LIMITS.passwordMin) {
    throw new AppError(
      ErrorCode.WEAK_PASSWORD,
      `a password needs at least ${LIMITS.passwordMin} characters`,
      { field },
    );
  }
  const lower = password.toLowerCase();
  const common =
    COMMON_PASSWORDS.has(lower) ||
    /^(.)\1+$/.test(password) ||
    isSequence(lower) ||
    personal.some((p) => p.length >= 4 && lower.includes(p.toLowerCase()));
  if (common) {
    throw new AppError(
      ErrorCode.WEAK_PASSWORD,
      'that password is too common or easy to guess; choose another',
      { field },
    );
  }
}

/** 12345678, abcdefgh, 87654321 and the like. */
function isSequence(s: string): boolean {
  let up = true;
  let down = true;
  for (let i = 1; i < s.length; i++) {
    const d = s.charCodeAt(i) - s.charCodeAt(i - 1);
    if (d !== 1) up = false;
    if (d !== -1) down = false;
  }
  return up || down;
}
