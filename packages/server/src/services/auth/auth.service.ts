import { createHash, randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { Bus } from '../../adapters/bus/bus.js';
import type { Mailer } from '../../adapters/mail/mail.js';
import type { SmsSender } from '../../adapters/sms/sms.js';
import { isUniqueViolation } from '../../adapters/sql/open-sql.js';
import type { Clock } from '../../kernel/clock.js';
import { AppError, ErrorCode, errors } from '../../kernel/errors.js';
import type { IdGenerator } from '../../kernel/ids.js';
import type { Caller } from '../../rpc/call-context.js';
import type { AccessTokens } from '../../shared/access-tokens.js';
import { SESSION_ENDED_CHANNEL, type SessionRevocations } from '../../shared/session-revocations.js';
import type { VerificationCodes } from './auth.codes.js';
import { checkPasswordStrength, type PasswordHasher } from './auth.passwords.js';
import type { AuthRepository, Destination, SessionRow, UserRow } from './auth.repository.js';
import type { PasswordAttempts } from './auth.attempts.js';
import type { InFlightLimit } from '../../shared/in-flight-limit.js';
import type { WindowLimit } from '../../shared/window-limit.js';
import {
  normalizeLocale,
  renderAccountExistsMail,
  renderAccountExistsSms,
  renderCodeMail,
  renderCodeSms,
} from './auth.templates.js';
import type { DeviceInput, Purpose } from './auth.validation.js';

export interface AuthRules {
  accessTokenTtlSeconds: number;
  refreshTokenTtlDays: number;
  codeTtlSeconds: number;
  loginFailuresPerWindow: number;
  loginFailureWindowSeconds: number;
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
}

export interface LoginInput {
  dest: Destination;
  credential: { kind: 'password' | 'code'; value: string };
  device: DeviceInput;
  /** The client's IP as the edge saw it ('' for an internal caller). */
  ip: string;
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

/** Names an address in logs without writing it: a short hash that still groups one address's lines. */
const addressHash = (d: Destination) => sha256(`${d.kind}:${d.value}`).slice(0, 16);

/**
 * Accounts and device sessions. Orchestration only: storage, codes, hashing, tokens and
 * delivery are injected, so each step reads top to bottom.
 */
export class AuthService {
  private readonly pending = new Set<Promise<unknown>>();

  constructor(private readonly d: AuthServiceDeps) {}

  async sendCode(
    dest: Destination,
    purpose: Purpose,
    locale: string,
    ip: string,
  ): Promise<{ expiresIn: number; resendAfter: number }> {
    await this.d.codes.admitSend(dest, ip);
    const user = await this.d.repo.findUserByDestination(dest);
    const loc = normalizeLocale(locale);
    const ttlMinutes = Math.round(this.d.rules.codeTtlSeconds / 60);
    // A code is stored in every case, even one nobody will receive (a login or reset code for
    // an unknown address, a register code for a taken one): then a later Register, Login or
    // ResetPassword answers exactly the same (CODE_INVALID, CODE_EXPIRED) whether an account
    // exists or not. Only what lands in the mailbox differs.
    const code = await this.d.codes.issue(purpose, dest);
    if (purpose === 'register' && user) {
      this.deliver(() =>
        dest.kind === 'email'
          ? this.d.mailer.send({ to: dest.value, ...renderAccountExistsMail({ locale: loc }) })
          : this.d.sms.send({ to: dest.value, text: renderAccountExistsSms({ locale: loc }) }),
      );
    } else if (purpose === 'register' || user) {
      this.deliver(() =>
        dest.kind === 'email'
          ? this.d.mailer.send({
              to: dest.value,
              ...renderCodeMail({ locale: loc, purpose, code, ttlMinutes }),
            })
          : this.d.sms.send({
              to: dest.value,
              text: renderCodeSms({ locale: loc, purpose, code, ttlMinutes }),
            }),
      );
    }
    return { expiresIn: this.d.rules.codeTtlSeconds, resendAfter: 60 };
  }

  async register(input: {
    dest: Destination;
    code: string;
    password: string;
    nickname: string;
    device: DeviceInput;
    ip: string;
  }): Promise<IssuedSession> {
    checkPasswordStrength(input.password, 'password', [input.dest.value.split('@')[0]!, input.nickname]);
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
    if (!ip) return this.checkLogin(input, failed);
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
      return await this.checkLogin(input, failed);
    } finally {
      this.d.loginsInFlightPerIp.leave(ip);
    }
  }

  /** Login after the per-IP limits: the account's own rules and the credential check. */
  private async checkLogin(
    input: LoginInput,
    failed: (reason: string, userId?: string) => void,
  ): Promise<IssuedSession> {
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
      return this.openSession(user, input.device);
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
    if (!ok) {
      failed(user ? 'wrong-password' : 'no-account', user?.id);
      throw new AppError(ErrorCode.INVALID_CREDENTIALS, 'wrong account or password');
    }
    await this.d.attempts.refund(subject);
    return this.openSession(user!, input.device);
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
    const s = /^\d{1,20}$/.test(sessionId) ? await this.d.repo.findSession(sessionId) : undefined;
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
    await this.d.attempts.clear(`login:${dest.kind}:${dest.value}`);
    await this.d.attempts.clear(`user:${user.id}`);
    this.d.logger.info({ user_id: user.id }, 'password reset; every session ended');
  }

  async changePassword(caller: Caller, oldPassword: string, newPassword: string): Promise<void> {
    const user = await this.requireUser(caller.userId);
    // A stolen access token must not become a way to guess the password: same rule as Login.
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
  async drain(): Promise<void> {
    await Promise.allSettled([...this.pending]);
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
  private async endSessions(userId: string, ids: string[], reason: string): Promise<void> {
    const ended = await this.d.repo.revokeSessions(ids, reason, this.d.clock.now());
    for (const id of ended) {
      await this.d.revocations.revoke(id, reason);
      const note = JSON.stringify({ userId, sessionId: id, reason });
      await this.d.bus
        .publish(SESSION_ENDED_CHANNEL, new TextEncoder().encode(note))
        .catch((err: unknown) => {
          this.d.logger.warn({ err }, 'could not announce an ended session');
        });
    }
  }

  /** Hands a message to its transport without making the caller wait (nor leaking timing). */
  private deliver(send: () => Promise<unknown>): void {
    const p = send()
      .catch((err: unknown) => this.d.logger.error({ err }, 'verification message could not be sent'))
      .finally(() => this.pending.delete(p));
    this.pending.add(p);
  }
}
