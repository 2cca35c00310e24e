import { type Kysely, sql } from 'kysely';
import { preparedOn, slot } from '../../adapters/sql/prepared.js';
import { asId, asNum } from '../../adapters/sql/sql.js';
import type { SquareTables } from './square.tables.js';

/** Where a user stands in the square: the boards they moderate, their running bans, admin or not. */
export interface Standing {
  moderated: Set<string>;
  /** Board id ('' for the whole square) -> when the ban ends. */
  bans: Map<string, number>;
  /** Granted in the square_admins table (square.adminUserIds is the caller's to add). */
  admin: boolean;
}

const MODERATOR = 1;
const BAN = 2;
const ADMIN = 3;

/**
 * Every read's own checks in one statement (a UNION ALL of the user's moderator seats, running
 * bans and admin grant) instead of three: each statement is a turn of the one SQLite connection.
 */
const standingQuery = preparedOn<{ user: string; now: number }, SquareTables>((db) =>
  db
    .selectFrom('square_moderators')
    .select([sql<number>`${sql.lit(MODERATOR)}`.as('k'), 'board_id', sql<number>`0`.as('until_at')])
    .where('user_id', '=', slot('user'))
    .unionAll(
      db
        .selectFrom('square_bans')
        .select([sql<number>`${sql.lit(BAN)}`.as('k'), 'board_id', 'until_at'])
        .where('user_id', '=', slot('user'))
        .where('until_at', '>', slot('now')),
    )
    .unionAll(
      db
        .selectFrom('square_admins')
        .select([
          sql<number>`${sql.lit(ADMIN)}`.as('k'),
          sql<string>`0`.as('board_id'),
          sql<number>`0`.as('until_at'),
        ])
        .where('user_id', '=', slot('user')),
    ),
);

export async function standing(db: Kysely<SquareTables>, userId: string, now: number): Promise<Standing> {
  const { rows } = await standingQuery(db, { user: userId, now });
  const out: Standing = { moderated: new Set(), bans: new Map(), admin: false };
  for (const r of rows) {
    const k = asNum(r.k);
    if (k === MODERATOR) out.moderated.add(asId(r.board_id));
    else if (k === BAN) out.bans.set(asNum(r.board_id) === 0 ? '' : asId(r.board_id), asNum(r.until_at));
    else if (k === ADMIN) out.admin = true;
  }
  return out;
}

/** Of a thread page's posts, those the user likes, and whether they follow the thread: one statement. */
export async function marks(
  db: Kysely<SquareTables>,
  userId: string,
  threadId: string,
  postIds: readonly string[],
): Promise<{ liked: Set<string>; following: boolean }> {
  const follows = db
    .selectFrom('square_follows')
    .select([sql<number>`${sql.lit(0)}`.as('k'), 'thread_id as id'])
    .where('user_id', '=', userId)
    .where('thread_id', '=', threadId);
  const rows = await (
    postIds.length === 0
      ? follows
      : follows.unionAll(
          db
            .selectFrom('square_likes')
            .select([sql<number>`${sql.lit(1)}`.as('k'), 'post_id as id'])
            .where('user_id', '=', userId)
            .where('post_id', 'in', postIds),
        )
  ).execute();
  const liked = new Set<string>();
  let following = false;
  for (const r of rows)
    if (asNum(r.k) === 1) liked.add(asId(r.id));
    else following = true;
  return { liked, following };
}
