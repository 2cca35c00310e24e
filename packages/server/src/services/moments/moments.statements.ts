import type { Compilable, Kysely } from 'kysely';
import { preparedOn, slot } from '../../adapters/sql/prepared.js';
import type { MomentsTables } from './moments.tables.js';

/*
 * The moments statements that run per like, comment, notice, feed read and post, compiled
 * once per engine (see `preparedOn`) instead of built by Kysely on every call: in the
 * benchmark's posting minute building them was the largest share of the query builder's
 * CPU. Each is the statement the repositories built before, with its values as slots; the
 * repositories keep Kysely for the rarer statements and for lists of more than one id.
 */
type T = MomentsTables;
const on = <A extends Record<string, unknown>>(build: (db: Kysely<T>) => Compilable) =>
  preparedOn<A, T>(build);

// ---- posts

export const postById = on<{ id: string }>((db) =>
  db.selectFrom('moments_posts').selectAll().where('id', '=', slot('id')),
);
export const postByClientId = on<{ author: string; client: string }>((db) =>
  db
    .selectFrom('moments_posts')
    .selectAll()
    .where('author_id', '=', slot('author'))
    .where('client_id', '=', slot('client')),
);
export const bumpPost = on<{ id: string }>((db) =>
  db
    .updateTable('moments_posts')
    .set((eb) => ({ version: eb('version', '+', 1) }))
    .where('id', '=', slot('id')),
);
export const insertPost = on<Record<keyof T['moments_posts'], unknown>>((db) =>
  db.insertInto('moments_posts').values({
    id: slot('id'),
    author_id: slot('author_id'),
    client_id: slot('client_id'),
    text: slot('text'),
    media: slot('media'),
    location: slot('location'),
    link_url: slot('link_url'),
    link_title: slot('link_title'),
    audience: slot('audience'),
    audience_tags: slot('audience_tags'),
    mentions: slot('mentions'),
    created_at: slot('created_at'),
    version: slot('version'),
  }),
);
export const insertPointer = on<{ viewer: string; moment: string; author: string }>((db) =>
  db
    .insertInto('moments_timeline')
    .values({ viewer_id: slot('viewer'), moment_id: slot('moment'), author_id: slot('author') }),
);

// ---- the fan-out outbox

export const insertOutbox = on<{ moment: string; author: string; at: number }>((db) =>
  db.insertInto('moments_outbox').values({
    moment_id: slot('moment'),
    author_id: slot('author'),
    attempts: 0,
    run_after: slot('at'),
    locked_until: 0,
    created_at: slot('at'),
  }),
);
export const dueOutbox = on<{ now: number }>((db) =>
  db
    .selectFrom('moments_outbox')
    .selectAll()
    .where('run_after', '<=', slot('now'))
    .where('locked_until', '<', slot('now'))
    .orderBy('moment_id')
    .limit(8),
);
export const lockOutbox = on<{
  until: number;
  attempts: number;
  moment: unknown;
  was: unknown;
  tries: unknown;
}>((db) =>
  db
    .updateTable('moments_outbox')
    .set({ locked_until: slot('until'), attempts: slot('attempts') })
    .where('moment_id', '=', slot('moment'))
    .where('locked_until', '=', slot('was'))
    .where('attempts', '=', slot('tries')),
);
export const finishOutbox = on<{ moment: string }>((db) =>
  db.deleteFrom('moments_outbox').where('moment_id', '=', slot('moment')),
);

// ---- likes, comments, notices

export const insertLike = on<{ moment: string; user: string; at: number }>((db) =>
  db
    .insertInto('moments_likes')
    .values({ moment_id: slot('moment'), user_id: slot('user'), created_at: slot('at') }),
);
/** The likes of one post (`likesOf` with one id: the same rows in the same order). */
export const likesOfOne = on<{ moment: string }>((db) =>
  db.selectFrom('moments_likes').selectAll().where('moment_id', '=', slot('moment')).orderBy('created_at'),
);
/** The comments of one post (`commentsOf` with one id). */
export const commentsOfOne = on<{ moment: string }>((db) =>
  db.selectFrom('moments_comments').selectAll().where('moment_id', '=', slot('moment')).orderBy('id'),
);
export const countComments = on<{ moment: string }>((db) =>
  db
    .selectFrom('moments_comments')
    .select((s) => s.fn.countAll().as('n'))
    .where('moment_id', '=', slot('moment')),
);
export const insertComment = on<Record<keyof T['moments_comments'], unknown>>((db) =>
  db.insertInto('moments_comments').values({
    id: slot('id'),
    moment_id: slot('moment_id'),
    author_id: slot('author_id'),
    reply_to_comment_id: slot('reply_to_comment_id'),
    reply_to_user_id: slot('reply_to_user_id'),
    text: slot('text'),
    created_at: slot('created_at'),
  }),
);
export const insertNotice = on<Record<keyof T['moments_notices'], unknown>>((db) =>
  db.insertInto('moments_notices').values({
    id: slot('id'),
    user_id: slot('user_id'),
    kind: slot('kind'),
    moment_id: slot('moment_id'),
    actor_id: slot('actor_id'),
    comment_id: slot('comment_id'),
    created_at: slot('created_at'),
  }),
);
export const countNoticesAfter = on<{ user: string; after: string }>((db) =>
  db
    .selectFrom('moments_notices')
    .select((s) => s.fn.countAll().as('n'))
    .where('user_id', '=', slot('user'))
    .where('id', '>', slot('after')),
);

// ---- readers and filters

export const readerById = on<{ user: string }>((db) =>
  db.selectFrom('moments_readers').selectAll().where('user_id', '=', slot('user')),
);
export const touchActive = on<{ user: string; active: number }>((db) =>
  db
    .updateTable('moments_readers')
    .set({ active_at: slot('active') })
    .where('user_id', '=', slot('user')),
);
export const touchPulled = on<{ user: string; active: number; pulled: number }>((db) =>
  db
    .updateTable('moments_readers')
    .set({ active_at: slot('active'), pulled_at: slot('pulled') })
    .where('user_id', '=', slot('user')),
);
export const filtersOf = on<{ user: string; kind: number }>((db) =>
  db
    .selectFrom('moments_filters')
    .select('other_id')
    .where('user_id', '=', slot('user'))
    .where('kind', '=', slot('kind'))
    .orderBy('created_at'),
);
export const filteredBy = on<{ other: string; kind: number }>((db) =>
  db
    .selectFrom('moments_filters')
    .select('user_id')
    .where('other_id', '=', slot('other'))
    .where('kind', '=', slot('kind')),
);
