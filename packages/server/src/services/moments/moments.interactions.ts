import { moments as pb } from '@mychat/protocol';
import type { Clock } from '../../kernel/clock.js';
import { AppError, ErrorCode, errors } from '../../kernel/errors.js';
import type { IdGenerator } from '../../kernel/ids.js';
import type { Feed, Seen } from './moments.feed.js';
import type { Notices } from './moments.notices.js';
import type { Actor } from './moments.peers.js';
import type { MomentsStore } from './moments.repository.js';
import type { CommentRow, LikeRow, NoticeRow } from './moments.social.repository.js';
import { LIMITS } from './moments.validation.js';
import { commentMsg, likeMsg, personMsg } from './moments.views.js';
import { interactionVisible, type Circle } from './moments.visibility.js';

export interface InteractionsDeps {
  store: MomentsStore;
  feed: Feed;
  notices: Notices;
  ids: IdGenerator;
  clock: Clock;
}

/**
 * Likes and comments. Only the author and their friends who may see a post can like or
 * comment on it (a stranger's read-only view answers NOT_FRIENDS; a post the caller cannot
 * see answers NOT_FOUND, as one that does not exist). Each writes its notices in the same
 * transaction and pushes them after it commits.
 */
export class Interactions {
  constructor(private readonly d: InteractionsDeps) {}

  async like(actor: Actor, momentId: string): Promise<pb.MomentLike> {
    const { seen } = await this.interactive(actor, momentId);
    const post = seen.post;
    const like: LikeRow = { momentId, userId: actor.userId, createdAt: this.d.clock.now() };
    const notice = this.noticeFor(post.authorId, actor.userId, pb.NoticeKind.LIKE, post.id, null);
    await this.d.store.transaction(async (tx) => {
      if (!(await tx.social.like(like)))
        throw new AppError(ErrorCode.MOMENT_ALREADY_LIKED, 'you already like this moment');
      await tx.social.addNotices(notice);
      await tx.posts.bump(post.id);
    });
    for (const n of notice) await this.d.notices.pushed(n, post, undefined, actor.requestId);
    return likeMsg(like);
  }

  /** Takes a like back (and its notice); nothing happens when there is none. */
  async unlike(actor: Actor, momentId: string): Promise<void> {
    await this.d.feed.seen(actor, momentId);
    await this.d.store.transaction(async (tx) => {
      if (!(await tx.social.unlike(momentId, actor.userId))) return;
      await tx.social.deleteNotices(momentId, actor.userId, pb.NoticeKind.LIKE);
      await tx.posts.bump(momentId);
    });
  }

  /**
   * A comment, or a reply to a comment of the same post that the caller can see. The post's
   * author is told of every comment; the person replied to, of the reply.
   */
  async comment(
    actor: Actor,
    momentId: string,
    text: string,
    replyToId: string,
  ): Promise<{ comment: pb.MomentComment; users: pb.MomentUser[] }> {
    const { seen, circle } = await this.interactive(actor, momentId);
    const post = seen.post;
    let replyTo: CommentRow | undefined;
    if (replyToId) {
      replyTo = await this.d.store.social.comment(replyToId);
      if (!replyTo || replyTo.momentId !== post.id || !interactionVisible(replyTo.authorId, post, circle))
        throw errors.notFound('no such comment on this moment');
    }
    const c: CommentRow = {
      id: this.d.ids.next(),
      momentId: post.id,
      authorId: actor.userId,
      replyToCommentId: replyTo?.id ?? null,
      replyToUserId: replyTo?.authorId ?? null,
      text,
      createdAt: this.d.clock.now(),
    };
    // The person replied to gets a reply notice; the author (when someone else) a comment notice.
    const replied = replyTo?.authorId;
    const notices = [
      ...this.noticeFor(replied ?? '', actor.userId, pb.NoticeKind.REPLY, post.id, c.id),
      ...(replied === post.authorId
        ? []
        : this.noticeFor(post.authorId, actor.userId, pb.NoticeKind.COMMENT, post.id, c.id)),
    ];
    await this.d.store.transaction(async (tx) => {
      if ((await tx.social.countComments(post.id)) >= LIMITS.commentsPerPost)
        throw new AppError(
          ErrorCode.MOMENT_TOO_MANY_COMMENTS,
          'this moment has as many comments as it may have',
        );
      await tx.social.addComment(c);
      await tx.social.addNotices(notices);
      await tx.posts.bump(post.id);
    });
    for (const n of notices) await this.d.notices.pushed(n, post, c, actor.requestId);
    const people = await this.d.feed.people(actor, [c.authorId, ...(replied ? [replied] : [])]);
    return { comment: commentMsg(c), users: [...people.values()].map(personMsg) };
  }

  /** The comment's author or the post's author deletes a comment (and its notices). */
  async deleteComment(actor: Actor, commentId: string): Promise<void> {
    const { store } = this.d;
    const c = await store.social.comment(commentId);
    const post = c && (await store.posts.get(c.momentId));
    if (!c || !post || (c.authorId !== actor.userId && post.authorId !== actor.userId))
      throw errors.notFound('no such comment');
    await store.transaction(async (tx) => {
      await tx.social.deleteComment(c);
      await tx.posts.bump(c.momentId);
    });
  }

  /** A post the caller may like and comment on: theirs, or a friend's they may see. */
  private async interactive(actor: Actor, momentId: string): Promise<{ seen: Seen; circle: Circle }> {
    const r = await this.d.feed.seen(actor, momentId);
    if (r.seen.access === 'stranger')
      throw new AppError(ErrorCode.NOT_FRIENDS, 'only friends can like and comment on this moment');
    return r;
  }

  /** A notice for `to` (none when `to` is empty or is the actor). */
  private noticeFor(
    to: string,
    actorId: string,
    kind: number,
    momentId: string,
    commentId: string | null,
  ): NoticeRow[] {
    if (!to || to === actorId) return [];
    return [
      {
        id: this.d.ids.next(),
        userId: to,
        kind,
        momentId,
        actorId,
        commentId,
        createdAt: this.d.clock.now(),
      },
    ];
  }
}
