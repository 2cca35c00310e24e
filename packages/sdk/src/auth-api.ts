import { timestampMs } from '@bufbuild/protobuf/wkt';
import type { Client } from '@connectrpc/connect';
import { type auth } from '@mychat/protocol';
import { MyChatError, toMyChatError } from './errors.js';
import type { SessionStore, StoredSession } from './session-store.js';

export type ClientType = 'web' | 'pc' | 'ios' | 'android' | 'bot';
export type CodePurpose = 'register' | 'login' | 'reset-password';

/** An email address or an E.164 phone number. */
export type Destination = { email: string } | { phone: string };

export interface DeviceInfo {
  clientType: ClientType;
  /** Stable per installation (generate once and keep). */
  deviceId: string;
  /** Shown in "my devices", e.g. "Chrome on macOS". */
  name: string;
}

export interface Profile {
  id: string;
  nickname: string;
  email: string;
  phone: string;
  avatarUrl: string;
  signature: string;
  createdAt: Date;
}

export interface DeviceSession {
  sessionId: string;
  device: DeviceInfo;
  createdAt: Date;
  lastActiveAt: Date;
  current: boolean;
}

const dest = (d: Destination) =>
  'email' in d ? { case: 'email' as const, value: d.email } : { case: 'phone' as const, value: d.phone };

function profile(u: auth.User | undefined): Profile {
  if (!u) throw new MyChatError('the server sent no user', 'UNKNOWN');
  return {
    id: u.id,
    nickname: u.nickname,
    email: u.email,
    phone: u.phone,
    avatarUrl: u.avatarUrl,
    signature: u.signature,
    createdAt: u.createdAt ? new Date(timestampMs(u.createdAt)) : new Date(0),
  };
}

/** Calls a method and reports failures as MyChatError. */
async function call<T>(p: Promise<T>): Promise<T> {
  try {
    return await p;
  } catch (err) {
    throw toMyChatError(err);
  }
}

/**
 * Accounts and sessions. The session is kept in the client's SessionStore; the access
 * token is refreshed shortly before it expires, once, however many calls wait on it.
 */
export class AuthApi {
  private refreshing: Promise<StoredSession> | undefined;
  private current: StoredSession | undefined;

  /** @internal */
  constructor(
    private readonly rpc: Client<typeof auth.AuthService>,
    private readonly store: SessionStore,
    private readonly device: DeviceInfo,
    private readonly onChange: (
      s: StoredSession | undefined,
      why: 'login' | 'refresh' | 'logout' | 'ended',
    ) => void,
  ) {}

  /** Asks for a 6-digit code by mail or text. The answer never says whether an account exists. */
  async sendCode(
    to: Destination,
    purpose: CodePurpose,
    locale = 'en',
  ): Promise<{ expiresInSeconds: number; resendAfterSeconds: number }> {
    const r = await call(this.rpc.sendVerificationCode({ destination: dest(to), purpose, locale }));
    return { expiresInSeconds: r.expiresInSeconds, resendAfterSeconds: r.resendAfterSeconds };
  }

  async register(input: {
    to: Destination;
    code: string;
    password: string;
    nickname: string;
  }): Promise<Profile> {
    const r = await call(
      this.rpc.register({
        destination: dest(input.to),
        code: input.code,
        password: input.password,
        nickname: input.nickname,
        device: this.device,
      }),
    );
    return this.adopt(r.session, 'login');
  }

  async login(
    input: { to: Destination; password: string } | { to: Destination; code: string },
  ): Promise<Profile> {
    const credential =
      'password' in input
        ? { case: 'password' as const, value: input.password }
        : { case: 'code' as const, value: input.code };
    const r = await call(this.rpc.login({ destination: dest(input.to), credential, device: this.device }));
    return this.adopt(r.session, 'login');
  }

  /** Ends this session on the server and forgets it here. */
  async logout(): Promise<void> {
    try {
      const token = await this.accessToken();
      await call(this.rpc.logout({}, { headers: { authorization: `Bearer ${token}` } }));
    } finally {
      await this.forget('logout');
    }
  }

  async resetPassword(input: { to: Destination; code: string; newPassword: string }): Promise<void> {
    await call(
      this.rpc.resetPassword({
        destination: dest(input.to),
        code: input.code,
        newPassword: input.newPassword,
      }),
    );
  }

  async changePassword(oldPassword: string, newPassword: string): Promise<void> {
    await this.authed((h) => this.rpc.changePassword({ oldPassword, newPassword }, h));
  }

  async me(): Promise<Profile> {
    return profile((await this.authed((h) => this.rpc.getMe({}, h))).user);
  }

  async updateProfile(patch: {
    nickname?: string;
    signature?: string;
    avatarUrl?: string;
  }): Promise<Profile> {
    return profile((await this.authed((h) => this.rpc.updateProfile(patch, h))).user);
  }

  /**
   * The user's picture: a square image uploaded with `media.upload` (kind `image`; crop it
   * first); `''` removes it. `avatarUrl` becomes a path on the server (resolve it against the
   * base URL) that anyone can load.
   */
  async setAvatar(mediaId: string): Promise<Profile> {
    return profile((await this.authed((h) => this.rpc.setAvatar({ mediaId }, h))).user);
  }

  async devices(): Promise<DeviceSession[]> {
    const r = await this.authed((h) => this.rpc.listDevices({}, h));
    return r.devices.map((d) => ({
      sessionId: d.sessionId,
      device: {
        clientType: (d.device?.clientType ?? 'web') as ClientType,
        deviceId: d.device?.deviceId ?? '',
        name: d.device?.name ?? '',
      },
      createdAt: new Date(d.createdAt ? timestampMs(d.createdAt) : 0),
      lastActiveAt: new Date(d.lastActiveAt ? timestampMs(d.lastActiveAt) : 0),
      current: d.current,
    }));
  }

  async revokeDevice(sessionId: string): Promise<void> {
    await this.authed((h) => this.rpc.revokeDevice({ sessionId }, h));
  }

  /** The signed-in session, if any (loaded from the store on first use). */
  async session(): Promise<StoredSession | undefined> {
    this.current ??= await this.store.load();
    return this.current;
  }

  /**
   * A valid access token, refreshed first when it expires within 30 seconds.
   * UNAUTHENTICATED when nobody is signed in; SESSION_REVOKED etc. when the session ended.
   */
  async accessToken(): Promise<string> {
    const s = await this.session();
    if (!s) throw new MyChatError('not signed in', 'UNAUTHENTICATED');
    if (s.accessExpiresAt - Date.now() > 30_000) return s.accessToken;
    return (await this.refresh()).accessToken;
  }

  /**
   * Rotates the refresh token now (single-flight here, and across holders of the same store
   * when it implements `exclusive`). When another holder rotated it meanwhile, its fresh
   * session is taken over instead of sending the old refresh token again.
   */
  refresh(): Promise<StoredSession> {
    this.refreshing ??= (async () => {
      try {
        const seen = (await this.session())?.refreshToken;
        const exclusive = this.store.exclusive?.bind(this.store) ?? ((fn) => fn());
        return await exclusive(async () => {
          const s = await this.store.load();
          if (!s) {
            if (this.current) await this.forget('ended'); // signed out elsewhere
            throw new MyChatError('not signed in', 'UNAUTHENTICATED');
          }
          if (s.refreshToken !== seen && s.accessExpiresAt - Date.now() > 30_000) {
            this.current = s;
            this.onChange(s, 'refresh');
            return s;
          }
          const r = await call(this.rpc.refreshSession({ refreshToken: s.refreshToken }));
          await this.adopt(r.session, 'refresh');
          return this.current!;
        });
      } catch (err) {
        const e = toMyChatError(err);
        if (['SESSION_REVOKED', 'REFRESH_TOKEN_REUSED', 'TOKEN_INVALID', 'TOKEN_EXPIRED'].includes(e.reason))
          await this.forget('ended');
        throw e;
      } finally {
        this.refreshing = undefined;
      }
    })();
    return this.refreshing;
  }

  /**
   * Runs a call with a fresh bearer token, refreshing once and retrying when the server finds
   * the token expired; failures come back as MyChatError.
   * @internal Used by the SDK's other APIs.
   */
  async authed<T>(fn: (opts: { headers: Record<string, string> }) => Promise<T>): Promise<T> {
    const token = await this.accessToken();
    try {
      return await fn({ headers: { authorization: `Bearer ${token}` } });
    } catch (err) {
      const e = toMyChatError(err);
      if (e.reason === 'TOKEN_EXPIRED') {
        // The clock here and the server's disagree: refresh once and retry.
        const s = await this.refresh();
        return call(fn({ headers: { authorization: `Bearer ${s.accessToken}` } }));
      }
      if (e.reason === 'SESSION_REVOKED' && this.current) await this.forget('ended');
      throw e;
    }
  }

  private async adopt(s: auth.Session | undefined, why: 'login' | 'refresh'): Promise<Profile> {
    if (!s?.user || !s.expiresAt) throw new MyChatError('the server sent no session', 'UNKNOWN');
    this.current = {
      accessToken: s.accessToken,
      accessExpiresAt: timestampMs(s.expiresAt),
      refreshToken: s.refreshToken,
      sessionId: s.sessionId,
      userId: s.user.id,
    };
    await this.store.save(this.current);
    this.onChange(this.current, why);
    return profile(s.user);
  }

  private async forget(why: 'logout' | 'ended') {
    this.current = undefined;
    await this.store.clear();
    this.onChange(undefined, why);
  }
}
