import type { Kysely } from 'kysely';
import { asId, asNum, isUniqueViolation } from '../../adapters/sql/sql.js';
import * as st from './moments.statements.js';
import type { MomentsTables } from './moments.tables.js';

export interface LikeRow {
  momentId: string;
  userId: string;
  createdAt: number;
}

export interface CommentRow {
  id: string;
  momentId: string;
  authorId: string;
  replyToCommentId: string | null;
  replyToUserId: string | null;
  text: string;
  createdAt: number;
}

export interface NoticeRow {
  id: string;
  userId: string;
  /** mychat.moments.v1.NoticeKind. */
  kind: number;
  momentId: string;
  actorId: string;
  commentId: string | null;
  createdAt: number;
}

const optId = (v: unknown) => (v === null || v === undefined ? null : asId(v));

const toComment = (r: MomentsTables['moments_comments']): CommentRow => ({
  id: asId(r.id),
  momentId: asId(r.moment_id),
  authorId: asId(r.author_id),
  replyToCommentId: optId(r.reply_to_comment_id),
  replyToUserId: optId(r.reply_to_user_id),
  text: r.text,
  createdAt: asNum(r.created_at),
});

const toNotice = (r: MomentsTables['moments_notices']): NoticeRow => ({
  id: asId(r.id),
  userId: asId(r.user_id),
  kind: asNum(r.kind),
  momentId: asId(r.moment_id),
  actorId: asId(r.actor_id),
  commentId: optId(r.comment_id),
  createdAt: asNum(r.created_at),
});

/** Likes, comments and notices (see {@link MomentsStore}). */
export class SocialRepository {
  constructor(private readonly db: Kysely<MomentsTables>) {}

  // ---- likes

  /** False when the user already likes the post. */
  async like(l: LikeRow): Promise<boolean> {
    try {
      await st.insertLike(this.db, { moment: l.momentId, user: l.userId, at: l.createdAt });
      return true;
    } catch (err) {
      if (isUniqueViolation(err)) return false;
      throw err;
    }
  }

  /** False when there was no like. */
  async unlike(momentId: string, userId: string): Promise<boolean> {
    const res = await this.db
      .deleteFrom('moments_likes')
      .where('moment_id', '=', momentId)
      .where('user_id', '=', userId)
      .executeTakeFirst();
    return Number(res.numDeletedRows) > 0;
  }

  /** The likes of the posts, oldest first. */
  async likesOf(momentIds: readonly string[]): Promise<LikeRow[]> {
    if (momentIds.length === 0) return [];
    const rows =
      momentIds.length === 1
        ? ((await st.likesOfOne(this.db, { moment: momentIds[0]! })).rows as MomentsTables['moments_likes'][])
        : await this.db
            .selectFrom('moments_likes')
            .selectAll()
            .where('moment_id', 'in', momentIds)
            .orderBy('created_at')
            .execute();
    return rows.map((r) => ({
      momentId: asId(r.moment_id),
      userId: asId(r.user_id),
      createdAt: asNum(r.created_at),
    }));
  }

  // ---- comments

  async addComment(c: CommentRow): Promise<void> {
    await st.insertComment(this.db, {
      id: c.id,
      moment_id: c.momentId,
      author_id: c.authorId,
      reply_to_comment_id: c.replyToCommentId,
      reply_to_user_id: c.replyToUserId,
      text: c.text,
      created_at: c.createdAt,
    });
  }

  async comment(id: string): Promise<CommentRow | undefined> {
    const r = await this.db
      .selectFrom('moments_comments')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    return r && toComment(r);
  }

  async commentsByIds(ids: readonly string[]): Promise<Map<string, CommentRow>> {
    if (ids.length === 0) return new Map();
    const rows = await this.db.selectFrom('moments_comments').selectAll().where('id', 'in', ids).execute();
    return new Map(rows.map((r) => [asId(r.id), toComment(r)]));
  }

  /** The comments of the posts, oldest first. */
  async commentsOf(momentIds: readonly string[]): Promise<CommentRow[]> {
    if (momentIds.length === 0) return [];
    const rows =
      momentIds.length === 1
        ? ((await st.commentsOfOne(this.db, { moment: momentIds[0]! }))
            .rows as MomentsTables['moments_comments'][])
        : await this.db
            .selectFrom('moments_comments')
            .selectAll()
            .where('moment_id', 'in', momentIds)
            .orderBy('id')
            .execute();
    return rows.map(toComment);
  }

  async countComments(momentId: string): Promise<number> {
    return asNum((await st.countComments(this.db, { moment: momentId })).rows[0]?.n);
  }

  /** Removes a comment and its notices (run it in a transaction). */
  async deleteComment(c: CommentRow): Promise<void> {
    await this.db
      .deleteFrom('moments_notices')
      .where('moment_id', '=', c.momentId)
      .where('comment_id', '=', c.id)
      .execute();
    await this.db.deleteFrom('moments_comments').where('id', '=', c.id).execute();
  }

  // ---- notices

  async addNotices(rows: readonly NoticeRow[]): Promise<void> {
    if (rows.length === 0) return;
    const values = rows.map((n) => ({
      id: n.id,
      user_id: n.userId,
      kind: n.kind,
      moment_id: n.momentId,
      actor_id: n.actorId,
      comment_id: n.commentId,
      created_at: n.createdAt,
    }));
    // One notice (a like's, most comments'): the statement compiled once.
    if (values.length === 1) await st.insertNotice(this.db, values[0]!);
    else await this.db.insertInto('moments_notices').values(values).execute();
  }

  /** Removes the notices of one kind that an actor caused on a post (an unlike). */
  async deleteNotices(momentId: string, actorId: string, kind: number): Promise<void> {
    await this.db
      .deleteFrom('moments_notices')
      .where('moment_id', '=', momentId)
      .where('actor_id', '=', actorId)
      .where('kind', '=', kind)
      .where('comment_id', 'is', null)
      .execute();
  }

  /** A user's notices, newest first, older than `before` ("" for the newest). */
  async notices(userId: string, before: string, limit: number): Promise<NoticeRow[]> {
    let q = this.db.selectFrom('moments_notices').selectAll().where('user_id', '=', userId);
    if (before) q = q.where('id', '<', before);
    const rows = await q.orderBy('id', 'desc').limit(limit).execute();
    return rows.map(toNotice);
  }

  async countNoticesAfter(userId: string, afterId: string): Promise<number> {
    return asNum((await st.countNoticesAfter(this.db, { user: userId, after: afterId })).rows[0]?.n);
  }

  async newestNoticeId(userId: string): Promise<string | undefined> {
    const r = await this.db
      .selectFrom('moments_notices')
      .select('id')
      .where('user_id', '=', userId)
      .orderBy('id', 'desc')
      .limit(1)
      .executeTakeFirst();
    return r && asId(r.id);
  }
}
