import { createHash } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import { asNum, type SqlDatabase } from '../../adapters/sql/sql.js';
import { isUniqueViolation } from '../../adapters/sql/open-sql.js';
import type { Clock } from '../../kernel/clock.js';

interface AttemptTables {
  auth_attempts: { key_hash: string; tries: number; window_ends: number };
}

/** What {@link PasswordAttempts.charge} decided. */
export type Charge = { ok: true } | { ok: false; retryAfterSeconds: number };

/**
 * Password tries per subject (an address for Login, a user for ChangePassword), at most
 * `limit` per fixed window of `windowMs` counted from the first try.
 *
 * Every try is charged BEFORE the password is checked, so a right password during a pause is
 * refused like a wrong one and concurrent guesses cannot all slip in under the limit. A right
 * password refunds only its own charge: a success never hands out fresh tries, so an
 * attacker cannot interleave guesses with the owner's logins.
 *
 * Kept in SQL, not in the kv: an all-in-one server's kv lives in memory, and a pause must
 * survive a restart. Subjects are stored as SHA-256 hashes, never as addresses.
 */
export class PasswordAttempts {
  private readonly db: Kysely<AttemptTables>;
  private charges = 0;

  constructor(
    sqlDb: SqlDatabase,
    private readonly clock: Clock,
    private readonly rules: { limit: number; windowMs: number },
  ) {
    this.db = sqlDb.db as Kysely<AttemptTables>;
  }

  /** Counts one try for `subject`; refused (not counted as a chance) beyond the limit. */
  async charge(subject: string): Promise<Charge> {
    const key = hashOf(subject);
    const now = this.clock.now();
    const ends = now + this.rules.windowMs;
    // Guesses at many unknown addresses each leave a row: sweep the dead ones now and then.
    if (++this.charges % 500 === 0) await this.prune();
    for (let i = 0; i < 3; i++) {
      // One statement, so concurrent tries never read the same count.
      const r = await this.db
        .updateTable('auth_attempts')
        .set({
          tries: sql<number>`case when window_ends <= ${now} then 1 else tries + 1 end`,
          window_ends: sql<number>`case when window_ends <= ${now} then ${ends} else window_ends end`,
        })
        .where('key_hash', '=', key)
        .executeTakeFirst();
      if (Number(r.numUpdatedRows) === 0) {
        try {
          await this.db
            .insertInto('auth_attempts')
            .values({ key_hash: key, tries: 1, window_ends: ends })
            .execute();
        } catch (err) {
          if (isUniqueViolation(err)) continue; // another try created it first: count again
          throw err;
        }
      }
      const row = await this.db
        .selectFrom('auth_attempts')
        .select(['tries', 'window_ends'])
        .where('key_hash', '=', key)
        .executeTakeFirstOrThrow();
      if (asNum(row.tries) <= this.rules.limit) return { ok: true };
      return { ok: false, retryAfterSeconds: (asNum(row.window_ends) - now) / 1000 };
    }
    throw new Error('could not count a password try');
  }

  /** Gives back the charge of a try whose password was right. */
  async refund(subject: string): Promise<void> {
    await this.db
      .updateTable('auth_attempts')
      .set({ tries: sql<number>`tries - 1` })
      .where('key_hash', '=', hashOf(subject))
      .where('tries', '>', 0)
      .execute();
  }

  /** Forgets a subject's tries (its owner proved control another way, e.g. a reset code). */
  async clear(subject: string): Promise<void> {
    await this.db.deleteFrom('auth_attempts').where('key_hash', '=', hashOf(subject)).execute();
  }

  /** Drops records whose window has ended (they would be reset on their next try anyway). */
  async prune(): Promise<void> {
    await this.db.deleteFrom('auth_attempts').where('window_ends', '<=', this.clock.now()).execute();
  }
}

const hashOf = (subject: string) => createHash('sha256').update(subject).digest('hex');
