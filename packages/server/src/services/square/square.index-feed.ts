import type { Kysely } from 'kysely';
import { asId } from '../../adapters/sql/sql.js';
import type { Access } from './square.access.js';
import type { PostRow, SquareStore, ThreadRow } from './square.repository.js';
import type { SquareTables } from './square.tables.js';

/** One item of the search indexer's feed: a post as it is now. */
export interface IndexedItem {
  post: PostRow;
  thread: ThreadRow;
  /** The thread's title and the body (a first post), or the body. */
  text: string;
  /** Removed, or in a removed thread. */
  removed: boolean;
  /** Given again because it was edited. */
  edited: boolean;
}

export interface VisibleItem {
  post: PostRow;
  thread: ThreadRow;
}

const big = (id: string) => BigInt(id || '0');

/**
 * What the search module asks of the square (SquareInternalService): the posts in write order
 * (and again when edited, by the edit's id: ids are time-ordered, so an edit comes after
 * what the indexer read before it), the boards a person may read, and which hits they may
 * read now.
 */
export class IndexFeed {
  private readonly db: Kysely<SquareTables>;

  constructor(private readonly d: { store: SquareStore; access: Access }) {
    this.db = d.store.db;
  }

  async page(after: string, until: string, limit: number): Promise<{ items: IndexedItem[]; next: string }> {
    const from = after || '0';
    const posts = this.db
      .selectFrom('square_posts')
      .select('id')
      .where('id', '>', from)
      .orderBy('id')
      .limit(limit);
    // An edit, or a post of a moved thread: the post comes again and its document is replaced.
    const again = (table: 'square_post_edits' | 'square_reindex') => {
      const q = this.db
        .selectFrom(table)
        .select(['id', 'post_id'])
        .where('id', '>', from)
        .orderBy('id')
        .limit(limit);
      return (until ? q.where('id', '<=', until) : q).execute();
    };
    const [postRows, editRows, movedRows] = await Promise.all([
      (until ? posts.where('id', '<=', until) : posts).execute(),
      again('square_post_edits'),
      again('square_reindex'),
    ]);
    const events = [
      ...postRows.map((r) => ({ cursor: asId(r.id), postId: asId(r.id), edited: false })),
      ...[...editRows, ...movedRows].map((r) => ({
        cursor: asId(r.id),
        postId: asId(r.post_id),
        edited: true,
      })),
    ]
      .sort((a, b) => (big(a.cursor) < big(b.cursor) ? -1 : 1))
      .slice(0, limit);
    const rows = await this.d.store.postsByIds([...new Set(events.map((e) => e.postId))]);
    const threads = await this.d.store.threadsByIds([...new Set([...rows.values()].map((p) => p.threadId))]);
    const items: IndexedItem[] = [];
    for (const e of events) {
      const post = rows.get(e.postId);
      const thread = post && threads.get(post.threadId);
      if (!post || !thread) continue;
      items.push({
        post,
        thread,
        text: post.floor === 0 ? `${thread.title}\n${post.body}` : post.body,
        removed: post.removed || thread.removed,
        edited: e.edited,
      });
    }
    return { items, next: events[events.length - 1]?.cursor ?? after };
  }

  /** Every board `viewerId` may read (as ListBoards shows them). */
  async readableBoards(viewerId: string, requestId: string): Promise<string[]> {
    const views = await this.d.access.boards({ userId: viewerId, requestId });
    return views.map((v) => v.board.id);
  }

  /** Of `postIds`: those `viewerId` may read now, and those removed or gone. */
  async filter(viewerId: string, postIds: readonly string[], requestId: string) {
    const posts = await this.d.store.postsByIds(postIds);
    const threads = await this.d.store.threadsByIds([...new Set([...posts.values()].map((p) => p.threadId))]);
    const readable = new Set(await this.readableBoards(viewerId, requestId));
    const visible: VisibleItem[] = [];
    const gone: string[] = [];
    for (const id of postIds) {
      const post = posts.get(id);
      const thread = post && threads.get(post.threadId);
      if (!post || !thread || post.removed || thread.removed) gone.push(id);
      else if (readable.has(thread.boardId)) visible.push({ post, thread });
    }
    return { visible, gone };
  }
}
