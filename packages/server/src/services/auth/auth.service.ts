import { createHash, randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { Bus } from '../../adapters/bus/bus.js';
import type { Mailer } from '../../adapters/mail/mail.js';
import type { SmsSender } from '../../adapters/sms/sms.js';
import { isUniqueViolation } from '../../adapters/sql/open-sql.js';
import type { Clock } from '../../kernel/clock.js';
import { AppError, allOf, ErrorCode, errors } from '../../kernel/errors.js';
import { isId, type IdGenerator } from '../../kernel/ids.js';
import type { Caller } from '../../rpc/call-context.js';
import type { AccessTokens } from '../../adapters/tokens/access-tokens.js';
import type { SessionRevocations } from '../../contracts/sessions.js';
import { encodeSessionEndedNotice, SESSION_ENDED_CHANNEL } from '../../contracts/session-ended-notice.js';
import type { VerificationCodes } from './auth.codes.js';
import { checkPasswordStrength, type PasswordHasher } from './auth.passwords.js';
import type { AuthRepository, Destination, SessionRow, UserRow } from './auth.repository.js';
import type { InFlightLimit } from '../../kernel/in-flight-limit.js';
import type { WindowLimit } from '../../adapters/kv/window-limit.js';
import type { PasswordAttempts } from './auth.attempts.js';
import type { AccountFlagsRepository } from './auth.flags.repository.js';
import { CodeSender } from './auth.code-sender.js';
import { LoginChecks, type LoginInput } from './auth.login-checks.js';
import type { DeviceInput, Purpose } from './auth.validation.js';

export interface AuthRules {
  accessTokenTtlSeconds: number;
  refreshTokenTtlDays: number;
  codeTtlSeconds: number;
}

export interface AuthServiceDeps {
  repo: AuthRepository;
  codes: VerificationCodes;
  hasher: PasswordHasher;
  tokens: AccessTokens;
  revocations: SessionRevocations;
  mailer: Mailer;
  sms: SmsSender;
  bus: Bus;
  ids: IdGenerator;
  clock: Clock;
  logger: Logger;
  rules: AuthRules;
  /** Password tries per address and per user, charged before each check (SQL-backed). */
  attempts: PasswordAttempts;
  /** Login calls per client IP, across accounts; checked before any lookup or hash. */
  loginsPerIp: WindowLimit;
  /** Login calls in flight per client IP, so one address never holds more than a few hasher places. */
  loginsInFlightPerIp: InFlightLimit;
  /** The console's flags: a disabled account may not log in or refresh. */
  flags: AccountFlagsRepository;
  /** Tells caches of profiles (moments keeps them) that these people's profiles changed. */
  profileChanged(userIds: string[]): Promise<void>;
}

/** What a successful register, login or refresh returns. */
export interface IssuedSession {
  sessionId: string;
  accessToken: string;
  accessExpiresAt: number;
  refreshToken: string;
  refreshExpiresAt: number;
  user: UserRow;
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

/**
 * Accounts and device sessions. Orchestration only: storage, codes, hashing, tokens and
 * delivery are injected, so each step reads top to bottom.
 */
export class AuthService {
  private readonly sender: CodeSender;
  private readonly logins: LoginChecks;

  constructor(private readonly d: AuthServiceDeps) {
    this.sender = new CodeSender({ ...d, codeTtlSeconds: d.rules.codeTtlSeconds });
    this.logins = new LoginChecks(d);
  }

  /** Sends a verification code (or an account-exists notice); see {@link CodeSender}. */
  sendCode(
    dest: Destination,
    purpose: Purpose,
    locale: string,
    ip: string,
  ): Promise<{ expiresIn: number; resendAfter: number }> {
    return this.sender.send(dest, purpose, locale, ip);
  }

  async register(input: {
    dest: Destination;
    code: string;
    password: string;
    nickname: string;
    device: DeviceInput;
    ip: string;
  }): Promise<IssuedSession> {
    try {
      checkPasswordStrength(input.password, 'password', [input.dest.value.split('@')[0]!, input.nickname]);
    } catch (weak) {
      // Say at once whether the code is right too (checked, a wrong one counted, not used up): the person
      // fixes both in one go instead of learning of the second only after fixing the first.
      if (!(weak instanceof AppError)) throw weak;
      const problems = [weak];
      await this.d.codes.check('register', input.dest, input.code, input.ip).catch((e: unknown) => {
        if (e instanceof AppError && e.details.field) problems.push(e);
        else throw e;
      });
      throw allOf(problems);
    }
    // The code is consumed only once a hashing place is held: a call shed for load keeps it.
    const passwordHash = await this.d.hasher.hashAfter(
      () => this.d.codes.consume('register', input.dest, input.code, input.ip),
      input.password,
    );
    const now = this.d.clock.now();
    const user: UserRow = {
      id: this.d.ids.next(),
      email: input.dest.kind === 'email' ? input.dest.value : null,
      phone: input.dest.kind === 'phone' ? input.dest.value : null,
      passwordHash,
      nickname: input.nickname,
      signature: '',
      avatarUrl: '',
      createdAt: now,
    };
    try {
      await this.d.repo.insertUser(user);
    } catch (err) {
      if (isUniqueViolation(err)) {
        throw new AppError(
          ErrorCode.ACCOUNT_EXISTS,
          'an account with this address already exists; log in instead',
          {
            field: input.dest.kind,
          },
        );
      }
      throw err;
    }
    this.d.logger.info({ user_id: user.id }, 'account registered');
    return this.openSession(user, input.device);
  }

  async login(input: LoginInput): Promise<IssuedSession> {
    const user = await this.logins.check(input);
    // After the credential check, so only the owner learns that the account is disabled.
    await this.assertEnabled(user.id);
    return this.openSession(user, input.device);
  }

  /** ACCOUNT_DISABLED when an operator disabled the account. */
  async assertEnabled(userId: string): Promise<void> {
    if ((await this.d.flags.flags(userId)).disabledAt !== null) {
      this.d.logger.warn({ user_id: userId }, 'login refused: account disabled');
      throw new AppError(ErrorCode.ACCOUNT_DISABLED, 'this account has been disabled by an operator');
    }
  }

  /** The step-up check of the console: the user's password, under ChangePassword's pauses. */
  async verifyPassword(userId: string, password: string): Promise<void> {
    await this.logins.checkOldPassword(await this.requireUser(userId), password);
  }

  async refresh(refreshToken: string): Promise<IssuedSession> {
    const hash = sha256(refreshToken);
    const row = await this.d.repo.findRefreshToken(hash);
    if (!row) throw new AppError(ErrorCode.TOKEN_INVALID, 'refresh token is not valid');
    const session = await this.d.repo.findSession(row.sessionId);
    if (!session || session.revokedAt !== null) {
      throw new AppError(ErrorCode.SESSION_REVOKED, 'this session has ended; log in again');
    }
    const now = this.d.clock.now();
    if (session.expiresAt <= now)
      throw new AppError(ErrorCode.TOKEN_EXPIRED, 'this session has expired; log in again');
    const next = randomBytes(32).toString('base64url');
    const expiresAt = now + this.d.rules.refreshTokenTtlDays * 86_400_000;
    const rotated =
      row.usedAt === null &&
      (await this.d.repo.rotateRefreshToken(hash, sha256(next), session.id, now, expiresAt));
    if (!rotated) {
      // A refresh token is good once. Seeing it twice means it was copied: end the session
      // (the whole family of tokens descended from that login) for both holders.
      await this.endSessions(session.userId, [session.id], 'refresh-reuse');
      this.d.logger.warn(
        { user_id: session.userId, session_id: session.id },
        'refresh token reuse: session revoked',
      );
      throw new AppError(
        ErrorCode.REFRESH_TOKEN_REUSED,
        'this refresh token was already used; the session has been ended',
      );
    }
    const user = await this.d.repo.findUser(session.userId);
    if (!user) throw new AppError(ErrorCode.SESSION_REVOKED, 'this account no longer exists');
    await this.assertEnabled(user.id);
    const access = await this.signAccess(user.id, session);
    return { sessionId: session.id, ...access, refreshToken: next, refreshExpiresAt: expiresAt, user };
  }

  async logout(caller: Caller): Promise<void> {
    await this.endSessions(caller.userId, [caller.sessionId], 'logout');
  }

  async listDevices(caller: Caller): Promise<SessionRow[]> {
    const now = this.d.clock.now();
    return (await this.d.repo.activeSessions(caller.userId)).filter((s) => s.expiresAt > now);
  }

  async revokeDevice(caller: Caller, sessionId: string): Promise<void> {
    const s = isId(sessionId) ? await this.d.repo.findSession(sessionId) : undefined;
    if (!s || s.userId !== caller.userId) throw errors.notFound('no such session');
    await this.endSessions(caller.userId, [s.id], 'revoked');
  }

  async resetPassword(dest: Destination, code: string, newPassword: string, ip: string): Promise<void> {
    checkPasswordStrength(newPassword, 'newPassword', [dest.value.split('@')[0]!]);
    let found: UserRow | undefined;
    // The code is consumed only once a hashing place is held: a call shed for load keeps it.
    const hash = await this.d.hasher.hashAfter(async () => {
      await this.d.codes.consume('reset-password', dest, code, ip);
      found = await this.d.repo.findUserByDestination(dest);
      // Only a guessed never-sent code (stored for an unknown address) gets here without one.
      if (!found) throw new AppError(ErrorCode.CODE_INVALID, 'the code is not right', { field: 'code' });
    }, newPassword);
    const user = found!;
    await this.d.repo.setPasswordHash(user.id, hash, this.d.clock.now());
    const sessions = await this.d.repo.activeSessions(user.id);
    await this.endSessions(
      user.id,
      sessions.map((s) => s.id),
      'password-reset',
    );
    // The owner proved control of the address: the password pauses have no reason to stay.
    await this.logins.forgive(dest, user.id);
    this.d.logger.info({ user_id: user.id }, 'password reset; every session ended');
  }

  async changePassword(caller: Caller, oldPassword: string, newPassword: string): Promise<void> {
    const user = await this.requireUser(caller.userId);
    await this.logins.checkOldPassword(user, oldPassword);
    checkPasswordStrength(newPassword, 'newPassword', [user.nickname, (user.email ?? '').split('@')[0]!]);
    await this.d.repo.setPasswordHash(user.id, await this.d.hasher.hash(newPassword), this.d.clock.now());
    const others = (await this.d.repo.activeSessions(user.id)).filter((s) => s.id !== caller.sessionId);
    await this.endSessions(
      user.id,
      others.map((s) => s.id),
      'password-changed',
    );
  }

  getMe(caller: Caller): Promise<UserRow> {
    return this.requireUser(caller.userId);
  }

  async updateProfile(
    caller: Caller,
    patch: { nickname?: string; signature?: string; avatarUrl?: string },
  ): Promise<UserRow> {
    await this.requireUser(caller.userId);
    await this.d.repo.updateProfile(caller.userId, patch, this.d.clock.now());
    await this.d.profileChanged([caller.userId]);
    return this.requireUser(caller.userId);
  }

  /**
   * Benchmark seeding only (`mychat bench-seed`, refused unless `bench.seed` is on): creates
   * accounts without verification codes, all sharing one password hashed once, each with an
   * open session for `device` (its deviceId suffixed with the account's index).
   */
  async seedAccounts(
    accounts: { email: string; nickname: string }[],
    password: string,
    device: DeviceInput,
    concurrency = 8,
  ): Promise<IssuedSession[]> {
    const passwordHash = await this.d.hasher.hash(password);
    const out: IssuedSession[] = new Array<IssuedSession>(accounts.length);
    let next = 0;
    const worker = async () => {
      while (next < accounts.length) {
        const i = next++;
        const a = accounts[i]!;
        const user: UserRow = {
          id: this.d.ids.next(),
          email: a.email,
          phone: null,
          passwordHash,
          nickname: a.nickname,
          signature: '',
          avatarUrl: '',
          createdAt: this.d.clock.now(),
        };
        await this.d.repo.insertUser(user);
        out[i] = await this.openSession(user, { ...device, deviceId: `${device.deviceId}-${i}` });
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, concurrency) }, worker));
    return out;
  }

  /** Waits for mails and texts still being handed to their transport (shutdown). */
  drain(): Promise<void> {
    return this.sender.drain();
  }

  private async requireUser(id: string): Promise<UserRow> {
    const u = await this.d.repo.findUser(id);
    if (!u) throw errors.unauthenticated('this account no longer exists');
    return u;
  }

  /**
   * Starts a session for a device. An older live session of the same client type is
   * ended first (kicked), so one account has at most one web, one pc, one ios... session.
   */
  private async openSession(user: UserRow, device: DeviceInput): Promise<IssuedSession> {
    const now = this.d.clock.now();
    const same = (await this.d.repo.activeSessions(user.id)).filter(
      (s) => s.clientType === device.clientType,
    );
    if (same.length)
      await this.endSessions(
        user.id,
        same.map((s) => s.id),
        'kicked',
      );
    const refreshToken = randomBytes(32).toString('base64url');
    const refreshExpiresAt = now + this.d.rules.refreshTokenTtlDays * 86_400_000;
    const session: SessionRow = {
      id: this.d.ids.next(),
      userId: user.id,
      clientType: device.clientType,
      deviceId: device.deviceId,
      deviceName: device.name,
      createdAt: now,
      lastActiveAt: now,
      expiresAt: refreshExpiresAt,
      revokedAt: null,
    };
    await this.d.repo.insertSession(session, sha256(refreshToken));
    const access = await this.signAccess(user.id, session);
    this.d.logger.info(
      { user_id: user.id, session_id: session.id, client_type: device.clientType },
      'session opened',
    );
    return { sessionId: session.id, ...access, refreshToken, refreshExpiresAt, user };
  }

  private async signAccess(userId: string, s: SessionRow) {
    const { token, exp } = await this.d.tokens.sign(
      { userId, sessionId: s.id, clientType: s.clientType, deviceId: s.deviceId },
      this.d.rules.accessTokenTtlSeconds,
      this.d.clock.now(),
    );
    return { accessToken: token, accessExpiresAt: exp * 1000 };
  }

  /** Ends sessions everywhere at once: in SQL, in the revocation list, and on the bus. */
  async endSessions(userId: string, ids: string[], reason: string): Promise<void> {
    const ended = await this.d.repo.revokeSessions(ids, reason, this.d.clock.now());
    for (const id of ended) {
      await this.d.revocations.revoke(id, reason);
      await this.d.bus
        .publish(SESSION_ENDED_CHANNEL, encodeSessionEndedNotice({ userId, sessionId: id, reason }))
        .catch((err: unknown) => {
          this.d.logger.warn({ err }, 'could not announce an ended session');
        });
    }
  }
}
