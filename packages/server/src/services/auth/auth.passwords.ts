import { hash, verify, type Algorithm } from '@node-rs/argon2';

// The package's Algorithm is a const enum, which isolated modules cannot read.
const ARGON2ID = 2 as Algorithm.Argon2id;
import { AppError, ErrorCode, errors } from '../../kernel/errors.js';
import { COMMON_PASSWORDS } from './common-passwords.js';
import { charCount, LIMITS } from './auth.validation.js';

export interface PasswordHasherOptions {
  memoryCostKib: number;
  timeCost: number;
  /** Hashes computed at once (each holds a libuv thread and `memoryCostKib`). */
  concurrency: number;
  /** Hashes allowed to wait for a free slot; more are shed with UNAVAILABLE. */
  maxQueue: number;
}

/** How long a shed caller is asked to wait: about one queue's worth of hashing. */
const BUSY_RETRY_SECONDS = 1;

/**
 * argon2id password hashing (OWASP's recommended parameters by default) and the
 * strength rule: 8 to 128 characters and not a well-known password.
 *
 * Hashing is slow on purpose, so it runs through a bounded queue: at most `concurrency` at
 * once and `maxQueue` waiting. Beyond that a call fails at once with UNAVAILABLE (and a
 * retry-after) instead of queueing without end, so a flood of anonymous logins cannot make
 * every real login wait behind it.
 */
export class PasswordHasher {
  private dummy: Promise<string> | undefined;
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly opts: PasswordHasherOptions) {}

  hash(password: string): Promise<string> {
    return this.slot(() => this.rawHash(password));
  }

  /**
   * Takes a hashing place, runs `first`, then hashes. A call shed for load fails before
   * `first` runs, so its side effects (consuming a one-time code) never happen for nothing.
   */
  hashAfter(first: () => Promise<void>, password: string): Promise<string> {
    return this.slot(async () => {
      await first();
      return this.rawHash(password);
    });
  }

  verify(hashed: string, password: string): Promise<boolean> {
    return this.slot(() => this.rawVerify(hashed, password));
  }

  /**
   * Spends the same time as a real verification, for logins to unknown accounts, so
   * response time does not tell whether an account exists.
   */
  async verifyNothing(password: string): Promise<void> {
    await this.slot(async () => {
      this.dummy ??= this.rawHash('mychat-timing-equaliser');
      return this.rawVerify(await this.dummy, password);
    });
  }

  private rawHash(password: string): Promise<string> {
    return hash(password, {
      algorithm: ARGON2ID,
      memoryCost: this.opts.memoryCostKib,
      timeCost: this.opts.timeCost,
      parallelism: 1,
    });
  }

  private async rawVerify(hashed: string, password: string): Promise<boolean> {
    try {
      return await verify(hashed, password);
    } catch {
      return false;
    }
  }

  private async slot<T>(work: () => Promise<T>): Promise<T> {
    if (this.running < this.opts.concurrency) {
      this.running++;
    } else {
      if (this.waiting.length >= this.opts.maxQueue) {
        throw new AppError(ErrorCode.UNAVAILABLE, 'the server is busy; try again in a moment', {
          retryAfterSeconds: BUSY_RETRY_SECONDS,
        });
      }
      // The finishing call hands its slot over, so `running` stays as it is.
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
    try {
      return await work();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
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
