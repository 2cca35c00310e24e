import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import { AppError, ErrorCode, errors } from '../../kernel/errors.js';
import type { InFlightLimit } from '../../kernel/in-flight-limit.js';
import type { WindowLimit } from '../../adapters/kv/window-limit.js';
import type { PasswordAttempts } from './auth.attempts.js';
import type { VerificationCodes } from './auth.codes.js';
import type { PasswordHasher } from './auth.passwords.js';
import type { AuthRepository, Destination, UserRow } from './auth.repository.js';
import type { DeviceInput } from './auth.validation.js';

export interface LoginInput {
  dest: Destination;
  credential: { kind: 'password' | 'code'; value: string };
  device: DeviceInput;
  /** The client's IP as the edge saw it ('' for an internal caller). */
  ip: string;
}

export interface LoginChecksDeps {
  repo: AuthRepository;
  codes: VerificationCodes;
  hasher: PasswordHasher;
  /** Password tries per address and per user, charged before each check (SQL-backed). */
  attempts: PasswordAttempts;
  /** Login calls per client IP, across accounts; checked before any lookup or hash. */
  loginsPerIp: WindowLimit;
  /** Login calls in flight per client IP, so one address never holds more than a few hasher places. */
  loginsInFlightPerIp: InFlightLimit;
  logger: Logger;
}

/** Names an address in logs without writing it: a short hash that still groups one address's lines. */
const addressHash = (d: Destination) =>
  createHash('sha256').update(`${d.kind}:${d.value}`).digest('hex').slice(0, 16);

/**
 * Who may log in, and who may change a password: the per-IP limits, the password pause and
 * the credential check, in that order, with a log line for every refusal (never the address,
 * password or code).
 */
export class LoginChecks {
  constructor(private readonly d: LoginChecksDeps) {}

  /** Returns the user a session may be opened for, or throws the answer the client gets. */
  async check(input: LoginInput): Promise<UserRow> {
    const { dest, ip } = input;
    const failed = (reason: string, userId?: string) =>
      this.d.logger.warn(
        {
          user_id: userId,
          address_hash: addressHash(dest),
          client_ip: ip,
          method: input.credential.kind,
          reason,
        },
        'login failed',
      );
    // Per IP first, before any lookup or hash: a flood from one address never reaches the hasher.
    // (Every public edge sets the IP; only an internal caller may have none.)
    if (!ip) return this.checkAccount(input, failed);
    if (!this.d.loginsInFlightPerIp.enter(ip)) {
      failed('ip-busy');
      throw errors.rateLimited(1, 'too many logins at once from this network; try again in a moment');
    }
    try {
      const ipWait = await this.d.loginsPerIp.hit(ip);
      if (ipWait !== undefined) {
        failed('ip-rate-limited');
        throw errors.rateLimited(ipWait, 'too many logins from this network; try again later');
      }
      return await this.checkAccount(input, failed);
    } finally {
      this.d.loginsInFlightPerIp.leave(ip);
    }
  }

  /**
   * ChangePassword's old-password check, under the same rule as Login (per user), so a stolen
   * access token does not become a way to guess the password.
   */
  async checkOldPassword(user: UserRow, oldPassword: string): Promise<void> {
    const subject = `user:${user.id}`;
    const charge = await this.d.attempts.charge(subject);
    if (!charge.ok) {
      this.d.logger.warn({ user_id: user.id, reason: 'paused' }, 'password change refused');
      throw errors.rateLimited(charge.retryAfterSeconds, 'too many wrong passwords; try again later');
    }
    if (!(await this.unlessShed(subject, () => this.d.hasher.verify(user.passwordHash, oldPassword)))) {
      this.d.logger.warn({ user_id: user.id, reason: 'wrong-password' }, 'password change refused');
      throw new AppError(ErrorCode.INVALID_CREDENTIALS, 'the current password is not right', {
        field: 'oldPassword',
      });
    }
    await this.d.attempts.refund(subject);
  }

  /** Lifts the password pauses of an address and its account (the owner proved control). */
  async forgive(dest: Destination, userId: string): Promise<void> {
    await this.d.attempts.clear(`login:${dest.kind}:${dest.value}`);
    await this.d.attempts.clear(`user:${userId}`);
  }

  /** After the per-IP limits: the account's own rules and the credential check. */
  private async checkAccount(
    input: LoginInput,
    failed: (reason: string, userId?: string) => void,
  ): Promise<UserRow> {
    const { dest, ip } = input;
    const user = await this.d.repo.findUserByDestination(dest);
    if (input.credential.kind === 'code') {
      try {
        await this.d.codes.consume('login', dest, input.credential.value, ip);
      } catch (err) {
        if (err instanceof AppError) failed(err.reason, user?.id);
        throw err;
      }
      if (!user) {
        // Only a guessed never-sent code gets here; it is answered like any wrong code.
        failed('no-account');
        throw new AppError(ErrorCode.CODE_INVALID, 'the code is not right', { field: 'code' });
      }
      return user;
    }
    const subject = `login:${dest.kind}:${dest.value}`;
    // Charged before the check: during a pause the right password is refused like a wrong one.
    const charge = await this.d.attempts.charge(subject);
    if (!charge.ok) {
      failed('paused', user?.id);
      throw errors.rateLimited(
        charge.retryAfterSeconds,
        'too many failed logins; try later or log in with a code',
      );
    }
    const ok = await this.unlessShed(subject, () =>
      user
        ? this.d.hasher.verify(user.passwordHash, input.credential.value)
        : this.d.hasher.verifyNothing(input.credential.value).then(() => false),
    );
    if (!ok || !user) {
      failed(user ? 'wrong-password' : 'no-account', user?.id);
      throw new AppError(ErrorCode.INVALID_CREDENTIALS, 'wrong account or password');
    }
    await this.d.attempts.refund(subject);
    return user;
  }

  /** Runs a password check; a check shed for load (UNAVAILABLE) gives its try back. */
  private async unlessShed<T>(subject: string, check: () => Promise<T>): Promise<T> {
    try {
      return await check();
    } catch (err) {
      if (err instanceof AppError && err.code === ErrorCode.UNAVAILABLE)
        await this.d.attempts.refund(subject);
      throw err;
    }
  }
}
