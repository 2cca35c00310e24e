import type { Kysely } from 'kysely';
import { prepared, slot } from '../../adapters/sql/prepared.js';
import { asId, asNum, type SqlDatabase, type SqlEngine } from '../../adapters/sql/sql.js';
import * as st from './moments.statements.js';
import { PeopleRepository } from './moments.people.repository.js';
import { SocialRepository } from './moments.social.repository.js';
import type { MomentsTables } from './moments.tables.js';

/** Ids per IN list or rows per INSERT, so a long list never makes one huge statement. */
export const CHUNK = 500;

export function chunks<T>(all: readonly T[], size = CHUNK): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < all.length; i += size) out.push(all.slice(i, i + size));
  return out;
}

import type { StoredMedia } from './moments.tables.js';
export type { StoredMedia };

export interface PostRow {
  id: string;
  authorId: string;
  clientId: string | null;
  text: string;
  media: StoredMedia[];
  location: string;
  linkUrl: string;
  linkTitle: string;
  /** mychat.moments.v1.Audience. */
  audience: number;
  /** The author's friend tags the only/except list was made from. */
  tags: string[];
  mentions: string[];
  createdAt: number;
  /** moments_posts.version: changes with every like, unlike, comment and comment deletion. */
  version: number;
}

export interface TimelineRow {
  viewerId: string;
  momentId: string;
  authorId: string;
}

/** A timeline pointer with the version of its post (null when the post is gone). */
export interface PointerHead extends TimelineRow {
  version: number | null;
}

export interface OutboxJob {
  momentId: string;
  authorId: string;
  attempts: number;
}

type PostTableRow = MomentsTables['moments_posts'];

const toPost = (r: PostTableRow): PostRow => ({
  id: asId(r.id),
  authorId: asId(r.author_id),
  clientId: r.client_id,
  text: r.text,
  media: JSON.parse(r.media) as StoredMedia[],
  location: r.location,
  linkUrl: r.link_url,
  linkTitle: r.link_title,
  audience: asNum(r.audience),
  tags: r.audience_tags ? r.audience_tags.split(',') : [],
  mentions: r.mentions ? r.mentions.split(',') : [],
  createdAt: asNum(r.created_at),
  version: asNum(r.version),
});

/**
 * The moments service's tables, bound to the database or to one transaction
 * ({@link MomentsStore.transaction}): posts, timelines and the outbox here, likes, comments
 * and notices in {@link SocialRepository}, settings, filters and readers in
 * {@link PeopleRepository}. Nothing outside moments reads these tables.
 */
export class MomentsStore {
  readonly posts: PostsRepository;
  readonly social: SocialRepository;
  readonly people: PeopleRepository;

  constructor(
    readonly db: Kysely<MomentsTables>,
    readonly engine: SqlEngine,
  ) {
    this.posts = new PostsRepository(db, engine);
    this.social = new SocialRepository(db);
    this.people = new PeopleRepository(db, engine);
  }

  static of(sql: SqlDatabase): MomentsStore {
    return new MomentsStore(sql.db as Kysely<MomentsTables>, sql.engine);
  }

  transaction<T>(fn: (tx: MomentsStore) => Promise<T>): Promise<T> {
    return this.db.transaction().execute((tx) => fn(new MomentsStore(tx, this.engine)));
  }
}

/** INSERT that skips rows whose key is already there, on every engine. */
export async function insertIgnore<T extends keyof MomentsTables>(
  db: Kysely<MomentsTables>,
  engine: SqlEngine,
  table: T,
  rows: MomentsTables[T][],
): Promise<void> {
  for (const part of chunks(rows)) {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const q = db.insertInto(table).values(part as any);
    if (engine === 'mysql') await q.ignore().execute();
    else await q.onConflict((oc) => oc.doNothing()).execute();
  }
}

export class PostsRepository {
  constructor(
    private readonly db: Kysely<MomentsTables>,
    private readonly engine: SqlEngine,
  ) {}

  /**
   * Stores a post with its audience list, its author's own timeline pointer and (unless it
   * is private) the outbox row the fan-out worker takes: run it in a transaction.
   */
  async insert(p: PostRow, list: readonly string[], fanOut: boolean): Promise<void> {
    await st.insertPost(this.db, {
      id: p.id,
      author_id: p.authorId,
      client_id: p.clientId,
      text: p.text,
      media: JSON.stringify(p.media),
      location: p.location,
      link_url: p.linkUrl,
      link_title: p.linkTitle,
      audience: p.audience,
      audience_tags: p.tags.join(','),
      mentions: p.mentions.join(','),
      created_at: p.createdAt,
      version: p.version,
    });
    for (const part of chunks(list))
      await this.db
        .insertInto('moments_audience')
        .values(part.map((user_id) => ({ moment_id: p.id, user_id })))
        .execute();
    await st.insertPointer(this.db, { viewer: p.authorId, moment: p.id, author: p.authorId });
    if (fanOut) await st.insertOutbox(this.db, { moment: p.id, author: p.authorId, at: p.createdAt });
  }

  /** Marks a post's likes or comments as changed (in the transaction that changes them). */
  async bump(id: string): Promise<void> {
    await st.bumpPost(this.db, { id });
  }

  async byClientId(authorId: string, clientId: string): Promise<PostRow | undefined> {
    const r = (await st.postByClientId(this.db, { author: authorId, client: clientId })).rows[0];
    return r && toPost(r as PostTableRow);
  }

  async get(id: string): Promise<PostRow | undefined> {
    const r = (await st.postById(this.db, { id })).rows[0];
    return r && toPost(r as PostTableRow);
  }

  /** Posts in id order after `after` and up to `until` (the search indexer's feed). */
  async afterId(after: string | undefined, until: string | undefined, limit: number): Promise<PostRow[]> {
    let q = this.db.selectFrom('moments_posts').selectAll();
    if (after) q = q.where('id', '>', after);
    if (until) q = q.where('id', '<=', until);
    const rows = await q.orderBy('id').limit(limit).execute();
    return rows.map(toPost);
  }

  /** The posts of `ids` that exist, by id. */
  async many(ids: readonly string[]): Promise<Map<string, PostRow>> {
    const out = new Map<string, PostRow>();
    if (ids.length === 1) {
      const post = await this.get(ids[0]!);
      if (post) out.set(post.id, post);
      return out;
    }
    for (const part of chunks(ids)) {
      const rows = await this.db.selectFrom('moments_posts').selectAll().where('id', 'in', part).execute();
      for (const r of rows) out.set(asId(r.id), toPost(r));
    }
    return out;
  }

  /** The audience lists of those of `posts` that have one (only/except), by post id. */
  async audiences(posts: Iterable<PostRow>, kinds: readonly number[]): Promise<Map<string, Set<string>>> {
    const ids = [...posts].filter((p) => kinds.includes(p.audience)).map((p) => p.id);
    const out = new Map<string, Set<string>>(ids.map((id) => [id, new Set()]));
    for (const part of chunks(ids)) {
      const rows = await this.db
        .selectFrom('moments_audience')
        .selectAll()
        .where('moment_id', 'in', part)
        .execute();
      for (const r of rows) out.get(asId(r.moment_id))!.add(asId(r.user_id));
    }
    return out;
  }

  /** Removes a post and every row that hangs on it (run it in a transaction). */
  async delete(id: string): Promise<void> {
    await this.db.deleteFrom('moments_notices').where('moment_id', '=', id).execute();
    await this.db.deleteFrom('moments_comments').where('moment_id', '=', id).execute();
    await this.db.deleteFrom('moments_likes').where('moment_id', '=', id).execute();
    await this.db.deleteFrom('moments_timeline').where('moment_id', '=', id).execute();
    await this.db.deleteFrom('moments_outbox').where('moment_id', '=', id).execute();
    await this.db.deleteFrom('moments_audience').where('moment_id', '=', id).execute();
    await this.db.deleteFrom('moments_posts').where('id', '=', id).execute();
  }

  /** One author's posts, newest first, older than `before` ("" for the newest), created since `since`. */
  async album(authorId: string, before: string, since: number, limit: number): Promise<PostRow[]> {
    let q = this.db
      .selectFrom('moments_posts')
      .selectAll()
      .where('author_id', '=', authorId)
      .where('created_at', '>=', since);
    if (before) q = q.where('id', '<', before);
    const rows = await q.orderBy('id', 'desc').limit(limit).execute();
    return rows.map(toPost);
  }

  /** The newest `limit` posts of an author shared with all friends, created since `since`. */
  async newestShared(authorId: string, audience: number, since: number, limit: number): Promise<PostRow[]> {
    const rows = await this.db
      .selectFrom('moments_posts')
      .selectAll()
      .where('author_id', '=', authorId)
      .where('audience', '=', audience)
      .where('created_at', '>=', since)
      .orderBy('id', 'desc')
      .limit(limit)
      .execute();
    return rows.map(toPost);
  }

  /** Ids and authors of the newest `limit` posts of `authors` created since `since`. */
  async recentOf(
    authors: readonly string[],
    since: number,
    limit: number,
  ): Promise<{ id: string; authorId: string }[]> {
    const out: { id: string; authorId: string }[] = [];
    for (const part of chunks(authors)) {
      const rows = await this.db
        .selectFrom('moments_posts')
        .select(['id', 'author_id'])
        .where('author_id', 'in', part)
        .where('created_at', '>=', since)
        .orderBy('id', 'desc')
        .limit(limit)
        .execute();
      for (const r of rows) out.push({ id: asId(r.id), authorId: asId(r.author_id) });
    }
    return out.sort((a, b) => (BigInt(b.id) > BigInt(a.id) ? 1 : -1)).slice(0, limit);
  }

  // ---- timelines

  /** Pointers of a viewer's feed, newest first, older than `before` ("" for the newest). */
  async timeline(viewerId: string, before: string, limit: number): Promise<TimelineRow[]> {
    let q = this.db.selectFrom('moments_timeline').selectAll().where('viewer_id', '=', viewerId);
    if (before) q = q.where('moment_id', '<', before);
    const rows = await q.orderBy('moment_id', 'desc').limit(limit).execute();
    return rows.map((r) => ({ viewerId, momentId: asId(r.moment_id), authorId: asId(r.author_id) }));
  }

  /**
   * The feed's pointer join, built and compiled once per shape (newest, or older than a
   * cursor): it runs on every feed read, where building it cost more than SQLite's work.
   */
  private readonly headsQuery = (older: boolean) => {
    let q = this.db
      .selectFrom('moments_timeline as t')
      .leftJoin('moments_posts as p', 'p.id', 't.moment_id')
      .select(['t.moment_id', 't.author_id', 'p.version'])
      .where('t.viewer_id', '=', slot('viewer'));
    if (older) q = q.where('t.moment_id', '<', slot('before'));
    return q.orderBy('t.moment_id', 'desc').limit(slot('limit'));
  };
  private readonly newestHeads = prepared<{ viewer: string; limit: number }>(() => this.headsQuery(false));
  private readonly olderHeads = prepared<{ viewer: string; before: string; limit: number }>(() =>
    this.headsQuery(true),
  );

  /** {@link timeline} with each post's version, in one statement (null: the post is gone). */
  async heads(viewerId: string, before: string, limit: number): Promise<PointerHead[]> {
    const { rows } = before
      ? await this.olderHeads(this.db, { viewer: viewerId, before, limit })
      : await this.newestHeads(this.db, { viewer: viewerId, limit });
    return rows.map((r) => ({
      viewerId,
      momentId: asId(r.moment_id),
      authorId: asId(r.author_id),
      version: r.version === null || r.version === undefined ? null : asNum(r.version),
    }));
  }

  /** Adds pointers; those already there are kept. */
  async addPointers(rows: readonly TimelineRow[]): Promise<void> {
    await insertIgnore(
      this.db,
      this.engine,
      'moments_timeline',
      rows.map((r) => ({ viewer_id: r.viewerId, moment_id: r.momentId, author_id: r.authorId })),
    );
  }

  /** Drops pointers of one viewer to posts that are gone. */
  async dropPointers(viewerId: string, momentIds: readonly string[]): Promise<void> {
    for (const part of chunks(momentIds))
      await this.db
        .deleteFrom('moments_timeline')
        .where('viewer_id', '=', viewerId)
        .where('moment_id', 'in', part)
        .execute();
  }

  // ---- the fan-out outbox

  /**
   * Takes the oldest due post for `leaseMs`, or undefined when none is due. Only one
   * claimer's UPDATE matches the row as it was read, so each post goes to one worker; a
   * worker that dies lets go when its lease runs out.
   */
  async claim(now: number, leaseMs: number): Promise<OutboxJob | undefined> {
    const due = (await st.dueOutbox(this.db, { now })).rows as MomentsTables['moments_outbox'][];
    for (const r of due) {
      const res = await st.lockOutbox(this.db, {
        until: now + leaseMs,
        attempts: asNum(r.attempts) + 1,
        moment: r.moment_id,
        was: r.locked_until,
        tries: r.attempts,
      });
      if (Number(res.numAffectedRows) === 1)
        return { momentId: asId(r.moment_id), authorId: asId(r.author_id), attempts: asNum(r.attempts) + 1 };
    }
    return undefined;
  }

  async finish(momentId: string): Promise<void> {
    await st.finishOutbox(this.db, { moment: momentId });
  }

  /** Lets go of a failed post: it is taken again at `runAfter`. */
  async retry(momentId: string, runAfter: number): Promise<void> {
    await this.db
      .updateTable('moments_outbox')
      .set({ run_after: runAfter, locked_until: 0 })
      .where('moment_id', '=', momentId)
      .execute();
  }

  /** Posts waiting for the fan-out (tests and metrics). */
  async pending(): Promise<number> {
    const r = await this.db
      .selectFrom('moments_outbox')
      .select((s) => s.fn.countAll().as('n'))
      .executeTakeFirst();
    return asNum(r?.n);
  }
}
