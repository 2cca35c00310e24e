import type { Kysely } from 'kysely';
import { asId, asNum, type SqlDatabase, type SqlEngine } from '../../adapters/sql/sql.js';
import { SocialRepository } from './square.social.repository.js';
import type { Keyset } from './square.ranking.js';
import { boardById, listings, postsFrom, threadById, type ThreadSortKey } from './square.read-statements.js';
import type { SquareTables, StoredMedia } from './square.tables.js';

export interface BoardRow {
  id: string;
  name: string;
  description: string;
  groupId: string;
  threadCount: number;
  createdBy: string;
  createdAt: number;
}

export interface ThreadRow {
  id: string;
  boardId: string;
  authorId: string;
  title: string;
  excerpt: string;
  firstPostId: string;
  postSeq: number;
  replyCount: number;
  likeCount: number;
  hot: number;
  pinned: boolean;
  locked: boolean;
  removed: boolean;
  createdAt: number;
  lastReplyAt: number;
}

export interface PostRow {
  id: string;
  threadId: string;
  authorId: string;
  floor: number;
  body: string;
  html: string;
  quotePostId: string;
  media: StoredMedia[];
  mentions: string[];
  likeCount: number;
  removed: boolean;
  removedReason: string;
  editedAt: number;
  createdAt: number;
}

export type { ThreadSortKey } from './square.read-statements.js';

const toBoard = (r: SquareTables['square_boards']): BoardRow => ({
  id: asId(r.id),
  name: r.name,
  description: r.description,
  groupId: asNum(r.group_id) === 0 ? '' : asId(r.group_id),
  threadCount: asNum(r.thread_count),
  createdBy: asId(r.created_by),
  createdAt: asNum(r.created_at),
});

const toThread = (r: SquareTables['square_threads']): ThreadRow => ({
  id: asId(r.id),
  boardId: asId(r.board_id),
  authorId: asId(r.author_id),
  title: r.title,
  excerpt: r.excerpt,
  firstPostId: asId(r.first_post_id),
  postSeq: asNum(r.post_seq),
  replyCount: asNum(r.reply_count),
  likeCount: asNum(r.like_count),
  hot: asNum(r.hot),
  pinned: asNum(r.pinned) === 1,
  locked: asNum(r.locked) === 1,
  removed: asNum(r.removed) === 1,
  createdAt: asNum(r.created_at),
  lastReplyAt: asNum(r.last_reply_at),
});

const toPost = (r: SquareTables['square_posts']): PostRow => ({
  id: asId(r.id),
  threadId: asId(r.thread_id),
  authorId: asId(r.author_id),
  floor: asNum(r.floor),
  body: r.body,
  html: r.html,
  quotePostId: r.quote_post_id === null ? '' : asId(r.quote_post_id),
  media: JSON.parse(r.media) as StoredMedia[],
  mentions: r.mentions ? r.mentions.split(',') : [],
  likeCount: asNum(r.like_count),
  removed: asNum(r.removed) === 1,
  removedReason: r.removed_reason,
  editedAt: asNum(r.edited_at),
  createdAt: asNum(r.created_at),
});

const rowsOf = <T>(r: { rows: Record<string, unknown>[] }) => r.rows as unknown as T[];

/**
 * The square's tables, bound to the database or to one transaction ({@link SquareStore.transaction}):
 * boards, threads and posts here; likes, follows, edits, notices and moderation in
 * {@link SocialRepository}. Nothing outside the square reads these tables.
 */
export class SquareStore {
  readonly social: SocialRepository;

  constructor(
    readonly db: Kysely<SquareTables>,
    readonly engine: SqlEngine,
  ) {
    this.social = new SocialRepository(db, engine);
  }

  static of(sql: SqlDatabase): SquareStore {
    return new SquareStore(sql.db as Kysely<SquareTables>, sql.engine);
  }

  transaction<T>(fn: (tx: SquareStore) => Promise<T>): Promise<T> {
    return this.db.transaction().execute((tx) => fn(new SquareStore(tx, this.engine)));
  }

  async insertBoard(b: BoardRow): Promise<void> {
    await this.db
      .insertInto('square_boards')
      .values({
        id: b.id,
        name: b.name,
        description: b.description,
        group_id: b.groupId || '0',
        thread_count: 0,
        created_by: b.createdBy,
        created_at: b.createdAt,
      })
      .execute();
  }

  async board(id: string): Promise<BoardRow | undefined> {
    const [r] = rowsOf<SquareTables['square_boards']>(await boardById(this.db, { id }));
    return r && toBoard(r);
  }

  /** Public boards and those of the given groups, oldest first. */
  async boards(groupIds: readonly string[]): Promise<BoardRow[]> {
    const rows = await this.db
      .selectFrom('square_boards')
      .selectAll()
      .where('group_id', 'in', ['0', ...groupIds])
      .orderBy('id')
      .execute();
    return rows.map(toBoard);
  }

  /** Every group board's group (the caller's memberships are then asked of contacts). */
  async groupBoardGroups(): Promise<string[]> {
    const rows = await this.db
      .selectFrom('square_boards')
      .select('group_id')
      .distinct()
      .where('group_id', '!=', '0')
      .execute();
    return rows.map((r) => asId(r.group_id));
  }

  async addThreadCount(boardId: string, delta: number): Promise<void> {
    await this.db
      .updateTable('square_boards')
      .set((eb) => ({ thread_count: eb('thread_count', '+', delta) }))
      .where('id', '=', boardId)
      .execute();
  }

  async insertThread(t: ThreadRow): Promise<void> {
    await this.insertThreads([t]);
  }

  /** Inserts threads in one statement (the benchmark's seed writes them by the hundred). */
  async insertThreads(list: readonly ThreadRow[]): Promise<void> {
    await this.db
      .insertInto('square_threads')
      .values(
        list.map((t) => ({
          id: t.id,
          board_id: t.boardId,
          author_id: t.authorId,
          title: t.title,
          excerpt: t.excerpt,
          first_post_id: t.firstPostId,
          post_seq: t.postSeq,
          reply_count: t.replyCount,
          like_count: t.likeCount,
          hot: t.hot,
          pinned: t.pinned ? 1 : 0,
          locked: t.locked ? 1 : 0,
          removed: 0,
          created_at: t.createdAt,
          last_reply_at: t.lastReplyAt,
        })),
      )
      .execute();
  }

  async thread(id: string): Promise<ThreadRow | undefined> {
    const [r] = rowsOf<SquareTables['square_threads']>(await threadById(this.db, { id }));
    return r && toThread(r);
  }

  async threadsByIds(ids: readonly string[]): Promise<Map<string, ThreadRow>> {
    if (ids.length === 0) return new Map();
    const rows = await this.db.selectFrom('square_threads').selectAll().where('id', 'in', ids).execute();
    return new Map(rows.map((r) => [asId(r.id), toThread(r)]));
  }

  /** The board's pinned threads (at most 50), by the same sort. */
  async pinned(boardId: string, sort: ThreadSortKey): Promise<ThreadRow[]> {
    return rowsOf<SquareTables['square_threads']>(
      await listings[sort].pinned(this.db, { board: boardId }),
    ).map(toThread);
  }

  /** A page of the board's unpinned threads after `after`, by `sort` descending, ties by id. */
  async page(boardId: string, sort: ThreadSortKey, after: Keyset | undefined, limit: number) {
    const l = listings[sort];
    const r = after
      ? await l.after(this.db, { board: boardId, key: after.key, id: after.id, limit })
      : await l.top(this.db, { board: boardId, limit });
    return rowsOf<SquareTables['square_threads']>(r).map(toThread);
  }

  /**
   * Changes a thread's counters and returns the row after the change (inside a transaction;
   * the row stays locked until it ends). With `floor`, takes the thread's next floor too (the
   * row's `postSeq - 1`). One statement where the engine has UPDATE ... RETURNING.
   */
  async bump(
    threadId: string,
    d: { replies?: number; likes?: number; lastReplyAt?: number; floor?: boolean },
  ): Promise<ThreadRow> {
    const q = this.db
      .updateTable('square_threads')
      .set((eb) => ({
        reply_count: eb('reply_count', '+', d.replies ?? 0),
        like_count: eb('like_count', '+', d.likes ?? 0),
        ...(d.lastReplyAt !== undefined && { last_reply_at: d.lastReplyAt }),
        ...(d.floor && { post_seq: eb('post_seq', '+', 1) }),
      }))
      .where('id', '=', threadId);
    if (this.engine !== 'mysql') return toThread(await q.returningAll().executeTakeFirstOrThrow());
    await q.execute();
    return (await this.thread(threadId))!;
  }

  async updateThread(
    id: string,
    p: Partial<{ hot: number; pinned: boolean; locked: boolean; removed: boolean; boardId: string }> &
      Partial<{ title: string; excerpt: string }>,
  ): Promise<void> {
    await this.db
      .updateTable('square_threads')
      .set({
        ...(p.hot !== undefined && { hot: p.hot }),
        ...(p.pinned !== undefined && { pinned: p.pinned ? 1 : 0 }),
        ...(p.locked !== undefined && { locked: p.locked ? 1 : 0 }),
        ...(p.removed !== undefined && { removed: p.removed ? 1 : 0 }),
        ...(p.boardId !== undefined && { board_id: p.boardId }),
        ...(p.title !== undefined && { title: p.title }),
        ...(p.excerpt !== undefined && { excerpt: p.excerpt }),
      })
      .where('id', '=', id)
      .execute();
  }

  async insertPost(p: PostRow): Promise<void> {
    await this.insertPosts([p]);
  }

  /** Inserts new posts (no likes, not removed, not edited) in one statement. */
  async insertPosts(list: readonly PostRow[]): Promise<void> {
    await this.db
      .insertInto('square_posts')
      .values(
        list.map((p) => ({
          id: p.id,
          thread_id: p.threadId,
          author_id: p.authorId,
          floor: p.floor,
          body: p.body,
          html: p.html,
          quote_post_id: p.quotePostId || null,
          media: JSON.stringify(p.media),
          mentions: p.mentions.join(','),
          like_count: 0,
          removed: 0,
          removed_reason: '',
          edited_at: 0,
          created_at: p.createdAt,
        })),
      )
      .execute();
  }

  async post(id: string): Promise<PostRow | undefined> {
    const r = await this.db.selectFrom('square_posts').selectAll().where('id', '=', id).executeTakeFirst();
    return r && toPost(r);
  }

  async postsByIds(ids: readonly string[]): Promise<Map<string, PostRow>> {
    if (ids.length === 0) return new Map();
    const rows = await this.db.selectFrom('square_posts').selectAll().where('id', 'in', ids).execute();
    return new Map(rows.map((r) => [asId(r.id), toPost(r)]));
  }

  /** A page of a thread's posts from floor `fromFloor` on, oldest first. */
  async posts(threadId: string, fromFloor: number, limit: number): Promise<PostRow[]> {
    const r = await postsFrom(this.db, { thread: threadId, floor: fromFloor, limit });
    return rowsOf<SquareTables['square_posts']>(r).map(toPost);
  }

  async updatePost(
    id: string,
    p: Partial<{ body: string; html: string; editedAt: number; removed: boolean; removedReason: string }> & {
      likes?: number;
    },
  ): Promise<void> {
    await this.db
      .updateTable('square_posts')
      .set((eb) => ({
        ...(p.body !== undefined && { body: p.body }),
        ...(p.html !== undefined && { html: p.html }),
        ...(p.editedAt !== undefined && { edited_at: p.editedAt }),
        ...(p.removed !== undefined && { removed: p.removed ? 1 : 0 }),
        ...(p.removedReason !== undefined && { removed_reason: p.removedReason }),
        ...(p.likes !== undefined && { like_count: eb('like_count', '+', p.likes) }),
      }))
      .where('id', '=', id)
      .execute();
  }

  /** How many posts the author wrote since `since` (the rate limits). */
  async postsSince(authorId: string, since: number): Promise<number> {
    const r = await this.db
      .selectFrom('square_posts')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('author_id', '=', authorId)
      .where('created_at', '>=', since)
      .executeTakeFirstOrThrow();
    return asNum(r.n);
  }
}
