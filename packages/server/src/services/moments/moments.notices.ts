import { create } from '@bufbuild/protobuf';
import { moments as pb } from '@mychat/protocol';
import type { Clock } from '../../kernel/clock.js';
import type { Logger } from '../../kernel/logger.js';
import type { Feed } from './moments.feed.js';
import type { Actor, MomentPush } from './moments.peers.js';
import type { MomentsStore, PostRow } from './moments.repository.js';
import type { CommentRow, NoticeRow } from './moments.social.repository.js';
import { noticeMsg, personMsg } from './moments.views.js';
import { interactionVisible } from './moments.visibility.js';

export interface NoticesDeps {
  store: MomentsStore;
  feed: Feed;
  push: MomentPush;
  clock: Clock;
  logger: Logger;
}

/**
 * Notices: likes, comments, replies and reminders addressed to someone. Stored with what
 * caused them (and deleted with it); listed newest first with the unread count, each
 * re-checked against what its reader may see now; pushed live to the reader's sockets.
 */
export class Notices {
  constructor(private readonly d: NoticesDeps) {}

  /** Tells the recipient's live sockets about a new notice. Best effort: failures are logged. */
  async pushed(
    n: NoticeRow,
    post: PostRow,
    comment: CommentRow | undefined,
    requestId: string,
  ): Promise<void> {
    try {
      const { store } = this.d;
      const reader = await store.people.reader(n.userId);
      const unreadCount = await store.social.countNoticesAfter(n.userId, reader?.noticesReadId ?? '0');
      // As the recipient sees the actor: kept in the recipient's profiles (nearly always a friend).
      const people = await this.d.feed.people({ userId: n.userId, sessionId: '', requestId }, [n.actorId]);
      await this.d.push.notice(
        n.userId,
        create(pb.MomentNoticeEventSchema, {
          notice: noticeMsg(n, post, comment, true),
          users: [...people.values()].map(personMsg),
          unreadCount,
        }),
      );
    } catch (err) {
      this.d.logger.warn({ err, request_id: requestId }, 'moment notice not pushed');
    }
  }

  async list(
    actor: Actor,
    cursor: string,
    limit: number,
    markRead: boolean,
  ): Promise<{
    notices: pb.MomentNotice[];
    users: pb.MomentUser[];
    nextCursor: string;
    unreadCount: number;
  }> {
    const { store, feed } = this.d;
    const me = actor.userId;
    const readId = (await store.people.reader(me))?.noticesReadId ?? '0';
    const unreadCount = await store.social.countNoticesAfter(me, readId);
    const rows = await store.social.notices(me, cursor, limit);
    const posts = await store.posts.many(rows.map((n) => n.momentId));
    const comments = await store.social.commentsByIds(rows.flatMap((n) => n.commentId ?? []));
    const circle = await feed.circle(
      actor,
      [...posts.values()].map((p) => p.authorId),
    );
    const judged = await feed.judge([...posts.values()], circle, this.d.clock.now());
    const visible = new Set(
      judged.filter((s) => s.access === 'own' || s.access === 'friend').map((s) => s.post.id),
    );
    const shown = rows.filter((n) => {
      const post = posts.get(n.momentId);
      if (!post || !visible.has(post.id)) return false;
      if (n.commentId && !comments.has(n.commentId)) return false;
      return interactionVisible(n.actorId, post, circle);
    });
    const people = await feed.people(
      actor,
      shown.map((n) => n.actorId),
    );
    if (markRead) {
      const newest = await store.social.newestNoticeId(me);
      if (newest) await store.people.markNoticesRead(me, newest);
    }
    return {
      notices: shown.map((n) =>
        noticeMsg(
          n,
          posts.get(n.momentId)!,
          n.commentId ? comments.get(n.commentId) : undefined,
          BigInt(n.id) > BigInt(readId),
        ),
      ),
      users: [...people.values()].map(personMsg),
      nextCursor: rows.length === limit ? rows[rows.length - 1]!.id : '',
      unreadCount,
    };
  }
}
