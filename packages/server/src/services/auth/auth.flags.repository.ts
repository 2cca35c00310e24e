import { sql, type Kysely } from 'kysely';
import { asId, asNum, isUniqueViolation, type SqlDatabase } from '../../adapters/sql/sql.js';
import { toUser, type UserRow } from './auth.repository.js';

interface FlagTables {
  auth_account_flags: { user_id: string; role: number; disabled_at: number | null; updated_at: number };
  auth_users: { id: string };
  auth_sessions: { id: string; user_id: string; revoked_at: number | null; expires_at: number };
  auth_refresh_tokens: { session_id: string };
}

/** An account's console role (0 none, 1 moderator, 2 admin) and when it was disabled. */
export interface AccountFlags {
  role: number;
  disabledAt: number | null;
}

export const ROLE_NONE = 0;
export const ROLE_MODERATOR = 1;
export const ROLE_ADMIN = 2;

const NO_FLAGS: AccountFlags = { role: ROLE_NONE, disabledAt: null };

/** The console's flags on accounts, and the account-wide reads and deletes it needs. */
export class AccountFlagsRepository {
  private readonly db: Kysely<FlagTables>;

  constructor(sql: SqlDatabase) {
    this.db = sql.db as Kysely<FlagTables>;
  }

  async flags(userId: string): Promise<AccountFlags> {
    return (await this.flagsOf([userId])).get(userId) ?? NO_FLAGS;
  }

  /** Flags by user id; accounts without a row are left out (they have none). */
  async flagsOf(userIds: readonly string[]): Promise<Map<string, AccountFlags>> {
    if (userIds.length === 0) return new Map();
    const rows = await this.db
      .selectFrom('auth_account_flags')
      .selectAll()
      .where('user_id', 'in', userIds)
      .execute();
    return new Map(
      rows.map((r) => [
        asId(r.user_id),
        { role: Number(r.role), disabledAt: r.disabled_at === null ? null : asNum(r.disabled_at) },
      ]),
    );
  }

  async setRole(userId: string, role: number, now: number): Promise<void> {
    await this.upsert(userId, { role }, now);
  }

  async setDisabled(userId: string, disabledAt: number | null, now: number): Promise<void> {
    await this.upsert(userId, { disabled_at: disabledAt }, now);
  }

  /** Live sessions (not ended, not expired) per user. */
  async liveSessionCounts(userIds: readonly string[], now: number): Promise<Map<string, number>> {
    if (userIds.length === 0) return new Map();
    const rows = await this.db
      .selectFrom('auth_sessions')
      .select(['user_id', sql<number>`count(*)`.as('n')])
      .where('user_id', 'in', userIds)
      .where('revoked_at', 'is', null)
      .where('expires_at', '>', now)
      .groupBy('user_id')
      .execute();
    return new Map(rows.map((r) => [asId(r.user_id), Number(r.n)]));
  }

  async counts(): Promise<{ accounts: number; disabled: number }> {
    const a = await this.db
      .selectFrom('auth_users')
      .select(sql<number>`count(*)`.as('n'))
      .executeTakeFirstOrThrow();
    const d = await this.db
      .selectFrom('auth_account_flags')
      .select(sql<number>`count(*)`.as('n'))
      .where('disabled_at', 'is not', null)
      .executeTakeFirstOrThrow();
    return { accounts: Number(a.n), disabled: Number(d.n) };
  }

  /** The most recently created accounts, for an empty console search. */
  async newest(limit: number): Promise<UserRow[]> {
    const rows = await (this.db as unknown as Kysely<{ auth_users: Record<string, unknown> }>)
      .selectFrom('auth_users')
      .selectAll()
      .orderBy('id', 'desc')
      .limit(limit)
      .execute();
    return rows.map(toUser);
  }

  /**
   * Deletes the account row, its flags, and its sessions' refresh tokens (the sessions stay,
   * ended, so the revocation refill keeps refusing their access tokens until they expire).
   */
  async deleteAccount(userId: string): Promise<void> {
    await this.db.transaction().execute(async (tx) => {
      const sessions = tx.selectFrom('auth_sessions').select('id').where('user_id', '=', userId);
      await tx.deleteFrom('auth_refresh_tokens').where('session_id', 'in', sessions).execute();
      await tx.deleteFrom('auth_account_flags').where('user_id', '=', userId).execute();
      await tx.deleteFrom('auth_users').where('id', '=', userId).execute();
    });
  }

  /** Updates the row, or inserts it; a concurrent insert of the same row turns into an update. */
  private async upsert(
    userId: string,
    patch: { role?: number; disabled_at?: number | null },
    now: number,
  ): Promise<void> {
    try {
      await this.write(userId, patch, now);
    } catch (err) {
      if (!isUniqueViolation(err)) throw err;
      await this.write(userId, patch, now);
    }
  }

  private async write(
    userId: string,
    patch: { role?: number; disabled_at?: number | null },
    now: number,
  ): Promise<void> {
    await this.db.transaction().execute(async (tx) => {
      const found = await tx
        .selectFrom('auth_account_flags')
        .select('user_id')
        .where('user_id', '=', userId)
        .executeTakeFirst();
      if (found) {
        await tx
          .updateTable('auth_account_flags')
          .set({ ...patch, updated_at: now })
          .where('user_id', '=', userId)
          .execute();
      } else {
        await tx
          .insertInto('auth_account_flags')
          .values({
            user_id: userId,
            role: patch.role ?? ROLE_NONE,
            disabled_at: patch.disabled_at ?? null,
            updated_at: now,
          })
          .execute();
      }
    });
  }
}
