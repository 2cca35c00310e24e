import { sql, type Kysely } from 'kysely';
import { preparedOn, slot } from '../../adapters/sql/prepared.js';
import { asId, asNum, type SqlDatabase } from '../../adapters/sql/sql.js';

interface AuthTables {
  auth_users: {
    id: string;
    email: string | null;
    phone: string | null;
    password_hash: string;
    nickname: string;
    signature: string;
    avatar_url: string;
    created_at: number;
    updated_at: number;
  };
  auth_sessions: {
    id: string;
    user_id: string;
    client_type: string;
    device_id: string;
    device_name: string;
    created_at: number;
    last_active_at: number;
    expires_at: number;
    revoked_at: number | null;
    revoke_reason: string | null;
  };
  auth_refresh_tokens: {
    token_hash: string;
    session_id: string;
    created_at: number;
    used_at: number | null;
  };
}

export interface UserRow {
  id: string;
  email: string | null;
  phone: string | null;
  passwordHash: string;
  nickname: string;
  signature: string;
  avatarUrl: string;
  createdAt: number;
}

export interface SessionRow {
  id: string;
  userId: string;
  clientType: string;
  deviceId: string;
  deviceName: string;
  createdAt: number;
  lastActiveAt: number;
  expiresAt: number;
  revokedAt: number | null;
}

export type Destination = { kind: 'email' | 'phone'; value: string };

export function toUser(r: Record<string, unknown>): UserRow {
  return {
    id: asId(r.id),
    email: (r.email as string | null) ?? null,
    phone: (r.phone as string | null) ?? null,
    passwordHash: r.password_hash as string,
    nickname: r.nickname as string,
    signature: r.signature as string,
    avatarUrl: r.avatar_url as string,
    createdAt: asNum(r.created_at),
  };
}

export function toSession(r: Record<string, unknown>): SessionRow {
  return {
    id: asId(r.id),
    userId: asId(r.user_id),
    clientType: r.client_type as string,
    deviceId: r.device_id as string,
    deviceName: r.device_name as string,
    createdAt: asNum(r.created_at),
    lastActiveAt: asNum(r.last_active_at),
    expiresAt: asNum(r.expires_at),
    revokedAt: r.revoked_at === null || r.revoked_at === undefined ? null : asNum(r.revoked_at),
  };
}

/** One user by id, compiled once per engine (see `findUsers`). */
const userById = preparedOn<{ id: string }, AuthTables>((db) =>
  db.selectFrom('auth_users').selectAll().where('id', '=', slot('id')),
);

/** The auth service's SQL. Nothing outside this service reads these tables. */
export class AuthRepository {
  private readonly db: Kysely<AuthTables>;

  constructor(sql: SqlDatabase) {
    this.db = sql.db as Kysely<AuthTables>;
  }

  async findUserByDestination(d: Destination): Promise<UserRow | undefined> {
    const r = await this.db
      .selectFrom('auth_users')
      .selectAll()
      .where(d.kind, '=', d.value)
      .executeTakeFirst();
    return r && toUser(r);
  }

  async findUser(id: string): Promise<UserRow | undefined> {
    const r = await this.db.selectFrom('auth_users').selectAll().where('id', '=', id).executeTakeFirst();
    return r && toUser(r);
  }

  /** Users by id, in no particular order; unknown ids are left out. */
  async findUsers(ids: readonly string[]): Promise<UserRow[]> {
    if (ids.length === 0) return [];
    // One id (a like's or comment's profile for moments): the statement compiled once.
    const rows =
      ids.length === 1
        ? (await userById(this.db, { id: ids[0]! })).rows
        : await this.db.selectFrom('auth_users').selectAll().where('id', 'in', ids).execute();
    return rows.map(toUser);
  }

  /**
   * Users whose nickname starts with `prefix`, ignoring ASCII case on every engine
   * (PostgreSQL's LIKE is case-sensitive, SQLite's and MariaDB's are not), oldest first.
   */
  async findUsersByNicknamePrefix(prefix: string, limit: number): Promise<UserRow[]> {
    // '!' as the escape character: a backslash means different things in MariaDB literals.
    const pattern = prefix.toLowerCase().replace(/[!%_]/g, (c) => `!${c}`) + '%';
    const rows = await this.db
      .selectFrom('auth_users')
      .selectAll()
      .where(sql<boolean>`lower(nickname) like ${pattern} escape '!'`)
      .orderBy('id')
      .limit(limit)
      .execute();
    return rows.map(toUser);
  }

  /** Inserts a user; a duplicate email or phone surfaces as the engine's unique violation. */
  async insertUser(u: Omit<UserRow, 'signature' | 'avatarUrl'>): Promise<void> {
    await this.db
      .insertInto('auth_users')
      .values({
        id: u.id,
        email: u.email,
        phone: u.phone,
        password_hash: u.passwordHash,
        nickname: u.nickname,
        signature: '',
        avatar_url: '',
        created_at: u.createdAt,
        updated_at: u.createdAt,
      })
      .execute();
  }

  async updateProfile(
    id: string,
    p: { nickname?: string; signature?: string; avatarUrl?: string },
    now: number,
  ): Promise<void> {
    await this.db
      .updateTable('auth_users')
      .set({
        ...(p.nickname !== undefined && { nickname: p.nickname }),
        ...(p.signature !== undefined && { signature: p.signature }),
        ...(p.avatarUrl !== undefined && { avatar_url: p.avatarUrl }),
        updated_at: now,
      })
      .where('id', '=', id)
      .execute();
  }

  async setPasswordHash(id: string, hash: string, now: number): Promise<void> {
    await this.db
      .updateTable('auth_users')
      .set({ password_hash: hash, updated_at: now })
      .where('id', '=', id)
      .execute();
  }

  async insertSession(s: Omit<SessionRow, 'revokedAt'>, refreshHash: string): Promise<void> {
    await this.db.transaction().execute(async (tx) => {
      await tx
        .insertInto('auth_sessions')
        .values({
          id: s.id,
          user_id: s.userId,
          client_type: s.clientType,
          device_id: s.deviceId,
          device_name: s.deviceName,
          created_at: s.createdAt,
          last_active_at: s.lastActiveAt,
          expires_at: s.expiresAt,
          revoked_at: null,
          revoke_reason: null,
        })
        .execute();
      await tx
        .insertInto('auth_refresh_tokens')
        .values({ token_hash: refreshHash, session_id: s.id, created_at: s.createdAt, used_at: null })
        .execute();
    });
  }

  async findSession(id: string): Promise<SessionRow | undefined> {
    const r = await this.db.selectFrom('auth_sessions').selectAll().where('id', '=', id).executeTakeFirst();
    return r && toSession(r);
  }

  /** Those of `ids` that are live at `now` (not ended, not expired). */
  async liveSessionIds(ids: readonly string[], now: number): Promise<string[]> {
    if (!ids.length) return [];
    const rows = await this.db
      .selectFrom('auth_sessions')
      .select('id')
      .where('id', 'in', [...ids])
      .where('revoked_at', 'is', null)
      .where('expires_at', '>', now)
      .execute();
    return rows.map((r) => asId(r.id));
  }

  async activeSessions(userId: string): Promise<SessionRow[]> {
    const rows = await this.db
      .selectFrom('auth_sessions')
      .selectAll()
      .where('user_id', '=', userId)
      .where('revoked_at', 'is', null)
      .orderBy('created_at', 'desc')
      .execute();
    return rows.map(toSession);
  }

  /** Ends sessions; returns the ids that were live until now. */
  async revokeSessions(ids: string[], reason: string, now: number): Promise<string[]> {
    if (ids.length === 0) return [];
    const live = await this.db
      .selectFrom('auth_sessions')
      .select('id')
      .where('id', 'in', ids)
      .where('revoked_at', 'is', null)
      .execute();
    const liveIds = live.map((r) => asId(r.id));
    if (liveIds.length === 0) return [];
    await this.db
      .updateTable('auth_sessions')
      .set({ revoked_at: now, revoke_reason: reason })
      .where('id', 'in', liveIds)
      .where('revoked_at', 'is', null)
      .execute();
    // Tokens stay so that presenting one later says "session ended", not "unknown token".
    return liveIds;
  }

  /** Sessions ended after `since` (epoch ms), with when and why: to refill the kv. */
  async revokedSince(since: number): Promise<{ id: string; revokedAt: number; reason: string }[]> {
    const rows = await this.db
      .selectFrom('auth_sessions')
      .select(['id', 'revoked_at', 'revoke_reason'])
      .where('revoked_at', '>', since)
      .execute();
    return rows.map((r) => ({
      id: asId(r.id),
      revokedAt: asNum(r.revoked_at),
      reason: r.revoke_reason ?? 'revoked',
    }));
  }

  async findRefreshToken(hash: string): Promise<{ sessionId: string; usedAt: number | null } | undefined> {
    const r = await this.db
      .selectFrom('auth_refresh_tokens')
      .selectAll()
      .where('token_hash', '=', hash)
      .executeTakeFirst();
    return r && { sessionId: asId(r.session_id), usedAt: r.used_at === null ? null : asNum(r.used_at) };
  }

  /**
   * Marks `oldHash` used and stores `newHash` in one transaction. False when the old
   * token was already used: the conditional update is what makes two racing refreshes
   * with one token count as reuse rather than both succeeding.
   */
  async rotateRefreshToken(
    oldHash: string,
    newHash: string,
    sessionId: string,
    now: number,
    expiresAt: number,
  ): Promise<boolean> {
    return this.db.transaction().execute(async (tx) => {
      const res = await tx
        .updateTable('auth_refresh_tokens')
        .set({ used_at: now })
        .where('token_hash', '=', oldHash)
        .where('used_at', 'is', null)
        .executeTakeFirst();
      if (Number(res.numUpdatedRows) !== 1) return false;
      await tx
        .insertInto('auth_refresh_tokens')
        .values({ token_hash: newHash, session_id: sessionId, created_at: now, used_at: null })
        .execute();
      await tx
        .updateTable('auth_sessions')
        .set({ last_active_at: now, expires_at: expiresAt })
        .where('id', '=', sessionId)
        .execute();
      return true;
    });
  }
}
