import type { Kysely } from 'kysely';
import { parseId } from '../../kernel/ids.js';
import type { SqlDatabase } from './sql.js';

type UserRows = Record<string, { user_id: string }>;

/** Deletes every row of `userId` (by its user_id column) from each table; the count. */
export async function deleteUserRows(
  sql: SqlDatabase,
  tables: readonly string[],
  userId: string,
): Promise<number> {
  const db = sql.db as Kysely<UserRows>;
  let removed = 0;
  for (const table of tables) {
    const r = await db.deleteFrom(table).where('user_id', '=', userId).executeTakeFirst();
    removed += Number(r.numDeletedRows);
  }
  return removed;
}

/**
 * An `*InternalService.PurgeUser` method (the console's account deletion) that deletes the
 * user's rows of these tables, after `before` (what must happen first, e.g. leaving rooms).
 */
export function purgeUserRpc(
  sql: SqlDatabase,
  tables: readonly string[],
  before?: (userId: string) => Promise<void>,
) {
  return {
    async purgeUser(req: { userId: string }): Promise<{ removed: number }> {
      const userId = parseId(req.userId, 'userId');
      await before?.(userId);
      return { removed: await deleteUserRows(sql, tables, userId) };
    },
  };
}
