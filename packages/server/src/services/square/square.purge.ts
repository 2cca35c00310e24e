import type { Kysely } from 'kysely';
import { asId } from '../../adapters/sql/sql.js';
import type { Actor } from './square.peers.js';
import { closeReports } from './square.moderation.js';
import type { Posts } from './square.posts.js';
import type { SquareStore } from './square.repository.js';
import type { SquareTables } from './square.tables.js';

/** Posts removed per transaction while purging an account. */
const BATCH = 200;

/**
 * What the operator's console asks of the square (SquareInternalService): taking down or
 * keeping a reported post, the reports to catch up with, and purging a deleted account.
 */
export class Purge {
  private readonly db: Kysely<SquareTables>;

  constructor(private readonly d: { store: SquareStore; posts: Posts }) {
    this.db = d.store.db;
  }

  /**
   * A moderator of the console removes a post (a first post: its thread) with a reason; the
   * author is told, as when a board's moderator does it, and the square's own open reports of
   * it close, each reporter told. False when it is gone already.
   */
  async removePost(actor: Actor, postId: string, reason: string): Promise<boolean> {
    const post = await this.d.store.post(postId);
    const thread = post && (await this.d.store.thread(post.threadId));
    const board = thread && (await this.d.store.board(thread.boardId));
    if (!post || !thread || !board || post.removed) return false;
    await this.d.posts.removeAs(actor, post, thread, { board, moderator: true, bannedUntil: 0 }, reason);
    await closeReports(this.d, actor, postId, thread.title, true, reason);
    return true;
  }

  /**
   * A moderator of the console kept a reported post: the square's open reports of it close as
   * kept, each reporter told the reason. How many closed (0: none was open, or no such post).
   */
  async keepPost(actor: Actor, postId: string, reason: string): Promise<number> {
    const post = await this.d.store.post(postId);
    const thread = post && (await this.d.store.thread(post.threadId));
    if (!post) return 0;
    return closeReports(this.d, actor, postId, thread?.title ?? '', false, reason);
  }

  /** The square's reports after `afterId` for the console's catch-up, oldest first. */
  reportsForConsole(afterId: string, limit: number) {
    return this.d.store.social.reportsAfter(afterId, limit);
  }

  /**
   * Everything of a deleted account: its posts are removed as a moderator's removal would
   * (a first post takes its thread along; the counters follow) and emptied, with their edit
   * history, files, and the snapshots of reports about them; its likes, follows, notices,
   * read mark, moderator seats, bans and square admin grant are deleted. Reports it filed
   * stay (they are the moderators' record) and so do others' replies in its threads, hidden
   * with the thread. Returns how many posts were removed now.
   */
  async purgeUser(actor: Actor, userId: string): Promise<number> {
    let removed = 0;
    for (;;) {
      const ids = await this.db
        .selectFrom('square_posts')
        .select('id')
        .where('author_id', '=', userId)
        .where('removed', '=', 0)
        .orderBy('id')
        .limit(BATCH)
        .execute();
      let now = 0;
      for (const r of ids) if (await this.removeQuietly(actor, asId(r.id))) now++;
      removed += now;
      // None could be removed (a post whose thread or board is missing): the loop would not end.
      if (ids.length < BATCH || now === 0) break;
    }
    const own = this.db.selectFrom('square_posts').select('id').where('author_id', '=', userId);
    await this.d.store.transaction(async (tx) => {
      const db = tx.db;
      await db.deleteFrom('square_post_edits').where('post_id', 'in', own).execute();
      await db
        .updateTable('square_posts')
        .set({ body: '', html: '', media: '[]', mentions: '' })
        .where('author_id', '=', userId)
        .execute();
      await db
        .updateTable('square_threads')
        .set({ title: '', excerpt: '' })
        .where('author_id', '=', userId)
        .where('removed', '=', 1)
        .execute();
      await db.updateTable('square_reports').set({ snapshot: '' }).where('author_id', '=', userId).execute();
      for (const table of [
        'square_likes',
        'square_follows',
        'square_moderators',
        'square_bans',
        'square_notices',
        'square_readers',
        'square_admins',
      ] as const)
        await db.deleteFrom(table).where('user_id', '=', userId).execute();
    });
    return removed;
  }

  /** Removes one post of a purged account (its author is not told: the account is gone). */
  private async removeQuietly(actor: Actor, postId: string): Promise<boolean> {
    const post = await this.d.store.post(postId);
    const thread = post && (await this.d.store.thread(post.threadId));
    const board = thread && (await this.d.store.board(thread.boardId));
    if (!post || !thread || !board || post.removed) return false;
    // The author acting on their own post: no notice is written.
    await this.d.posts.removeAs(
      { ...actor, userId: post.authorId },
      post,
      thread,
      { board, moderator: true, bannedUntil: 0 },
      'account deleted',
    );
    return true;
  }
}
