import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { Clock } from '../../kernel/clock.js';
import { errors } from '../../kernel/errors.js';
import type { AccountFlagsRepository } from './auth.flags.repository.js';
import type { PasswordHasher } from './auth.passwords.js';
import type { AuthRepository, SessionRow, UserRow } from './auth.repository.js';
import type { AuthService } from './auth.service.js';

/** An account as the console sees it. */
export interface AccountView {
  user: UserRow;
  role: number;
  disabled: boolean;
  liveSessions: number;
}

export interface AuthAdminDeps {
  repo: AuthRepository;
  flags: AccountFlagsRepository;
  service: AuthService;
  hasher: PasswordHasher;
  clock: Clock;
  logger: Logger;
  /** Tells caches of profiles that an account is gone. */
  profileChanged(userIds: string[]): Promise<void>;
}

/**
 * What the operator's console asks of auth (through UserDirectoryService's admin methods):
 * roles, disabling, forced password resets and deletion. The admin service decides who may
 * ask; this only does it.
 */
export class AuthAdmin {
  constructor(private readonly d: AuthAdminDeps) {}

  async views(users: UserRow[]): Promise<AccountView[]> {
    const ids = users.map((u) => u.id);
    const flags = await this.d.flags.flagsOf(ids);
    const live = await this.d.flags.liveSessionCounts(ids, this.d.clock.now());
    return users.map((user) => {
      const f = flags.get(user.id);
      return {
        user,
        role: f?.role ?? 0,
        disabled: (f?.disabledAt ?? null) !== null,
        liveSessions: live.get(user.id) ?? 0,
      };
    });
  }

  newest(limit: number): Promise<UserRow[]> {
    return this.d.flags.newest(limit);
  }

  async view(userId: string): Promise<AccountView> {
    return (await this.views([await this.user(userId)]))[0]!;
  }

  async sessions(userId: string): Promise<SessionRow[]> {
    await this.user(userId);
    const now = this.d.clock.now();
    return (await this.d.repo.activeSessions(userId)).filter((s) => s.expiresAt > now);
  }

  /** Disabling ends every session at once (SQL, the revocation list, the bus to the gateways). */
  async setDisabled(userId: string, disabled: boolean): Promise<AccountView> {
    await this.user(userId);
    const now = this.d.clock.now();
    await this.d.flags.setDisabled(userId, disabled ? now : null, now);
    if (disabled) await this.endAll(userId, 'disabled');
    this.d.logger.info({ user_id: userId, disabled }, 'account disabled state set by an operator');
    return this.view(userId);
  }

  async setRole(userId: string, role: number): Promise<AccountView> {
    if (![0, 1, 2].includes(role)) throw errors.invalidArgument('role must be 0, 1 or 2', 'role');
    await this.user(userId);
    await this.d.flags.setRole(userId, role, this.d.clock.now());
    this.d.logger.info({ user_id: userId, role }, 'console role set');
    return this.view(userId);
  }

  verifyPassword(userId: string, password: string): Promise<void> {
    return this.d.service.verifyPassword(userId, password);
  }

  /** A new random password (returned once, never logged); every session ends. */
  async forceResetPassword(userId: string): Promise<string> {
    await this.user(userId);
    const password = randomBytes(12).toString('base64url');
    await this.d.repo.setPasswordHash(userId, await this.d.hasher.hash(password), this.d.clock.now());
    await this.endAll(userId, 'password-reset');
    this.d.logger.info({ user_id: userId }, 'password reset by an operator; every session ended');
    return password;
  }

  /** Ends every session, then deletes the account's row, flags and refresh tokens. */
  async purge(userId: string): Promise<void> {
    await this.user(userId);
    await this.endAll(userId, 'account-deleted');
    await this.d.flags.deleteAccount(userId);
    await this.d.profileChanged([userId]);
    this.d.logger.info({ user_id: userId }, 'account deleted by an operator');
  }

  counts(): Promise<{ accounts: number; disabled: number }> {
    return this.d.flags.counts();
  }

  private async endAll(userId: string, reason: string): Promise<void> {
    const sessions = await this.d.repo.activeSessions(userId);
    await this.d.service.endSessions(
      userId,
      sessions.map((s) => s.id),
      reason,
    );
  }

  private async user(userId: string): Promise<UserRow> {
    const u = await this.d.repo.findUser(userId);
    if (!u) throw errors.notFound('no such account');
    return u;
  }
}
