import type { Kysely } from 'kysely';
import { preparedOn, slot } from '../../adapters/sql/prepared.js';
import type { SquareTables } from './square.tables.js';

export type ThreadSortKey = 'latest' | 'hot' | 'new';

const SORT_COLUMN = { latest: 'last_reply_at', hot: 'hot', new: 'id' } as const;

/*
 * The statements every read runs, compiled once per engine (see `preparedOn`): building and
 * compiling a query with Kysely cost more CPU than SQLite spent answering most of them.
 */
type Db = Kysely<SquareTables>;
export const boardById = preparedOn<{ id: string }, SquareTables>((db) =>
  db.selectFrom('square_boards').selectAll().where('id', '=', slot('id')),
);
export const threadById = preparedOn<{ id: string }, SquareTables>((db) =>
  db.selectFrom('square_threads').selectAll().where('id', '=', slot('id')),
);
export const postsFrom = preparedOn<{ thread: string; floor: number; limit: number }, SquareTables>((db) =>
  db
    .selectFrom('square_posts')
    .selectAll()
    .where('thread_id', '=', slot('thread'))
    .where('floor', '>=', slot('floor'))
    .orderBy('floor')
    .limit(slot('limit')),
);
const unpinned = (db: Db, board: unknown) =>
  db
    .selectFrom('square_threads')
    .selectAll()
    .where('board_id', '=', board as string)
    .where('removed', '=', 0);
/** Per sort: the pinned threads, and a page of the others from the top or after a keyset. */
export const listings = Object.fromEntries(
  (Object.keys(SORT_COLUMN) as ThreadSortKey[]).map((sort) => {
    const col = SORT_COLUMN[sort];
    return [
      sort,
      {
        pinned: preparedOn<{ board: string }, SquareTables>((db) =>
          db
            .selectFrom('square_threads')
            .selectAll()
            .where('board_id', '=', slot('board'))
            .where('removed', '=', 0)
            .where('pinned', '=', 1)
            .orderBy(col, 'desc')
            .orderBy('id', 'desc')
            .limit(50),
        ),
        top: preparedOn<{ board: string; limit: number }, SquareTables>((db) =>
          unpinned(db, slot('board'))
            .where('pinned', '=', 0)
            .orderBy(col, 'desc')
            .orderBy('id', 'desc')
            .limit(slot('limit')),
        ),
        after: preparedOn<{ board: string; key: number; id: string; limit: number }, SquareTables>((db) => {
          const q = unpinned(db, slot('board')).where('pinned', '=', 0);
          return (
            col === 'id'
              ? q.where('id', '<', slot('id'))
              : // `col <= key` first: a range bound on the sort's index for every engine's planner
                // (SQLite derives it from the OR alone; without it a PostgreSQL or MariaDB scan of
                // a deep page would start at the top of the board and filter every row above).
                q
                  .where(col, '<=', slot('key'))
                  .where((w) => w.or([w(col, '<', slot('key')), w('id', '<', slot('id'))]))
          )
            .orderBy(col, 'desc')
            .orderBy('id', 'desc')
            .limit(slot('limit'));
        }),
      },
    ];
  }),
) as Record<
  ThreadSortKey,
  {
    pinned: Prep<{ board: string }>;
    top: Prep<{ board: string; limit: number }>;
    after: Prep<{ board: string; key: number; id: string; limit: number }>;
  }
>;
type Prep<A extends Record<string, unknown>> = ReturnType<typeof preparedOn<A, SquareTables>>;
