import { AppError, ErrorCode, errors } from '../../kernel/errors.js';
import type { Clock } from '../../kernel/clock.js';
import type { IdGenerator } from '../../kernel/ids.js';
import type { Logger } from '../../kernel/logger.js';
import type { Access, BoardView } from './square.access.js';
import { renderPost } from './square.markdown.js';
import { NoticeKind, type NewNotice, type Notices } from './square.notices.js';
import type { Actor, Contacts, SquareMedia } from './square.peers.js';
import { hotKey } from './square.ranking.js';
import type { PostRow, SquareStore, ThreadRow } from './square.repository.js';
import { excerpt, LIMITS } from './square.validation.js';

export interface PostInput {
  body: string;
  mediaIds: string[];
  mentionUserIds: string[];
}

/** Writing in the square: threads, replies, edits, removals, likes and follows. */
export class Posts {
  constructor(
    private readonly d: {
      store: SquareStore;
      access: Access;
      contacts: Contacts;
      media: SquareMedia;
      notices: Notices;
      ids: IdGenerator;
      clock: Clock;
      logger: Logger;
    },
  ) {}

  async createThread(actor: Actor, boardId: string, title: string, input: PostInput) {
    const view = await this.d.access.board(actor, boardId);
    await this.d.access.mayPost(actor, view, [title, input.body]);
    const mentions = await this.mentionable(actor, view, input.mentionUserIds);
    const now = this.d.clock.now();
    const threadId = this.d.ids.next();
    const postId = this.d.ids.next();
    const media = await this.d.media.attach(actor.userId, postId, input.mediaIds, actor.requestId);
    const thread: ThreadRow = {
      id: threadId,
      boardId,
      authorId: actor.userId,
      title,
      excerpt: excerpt(input.body, LIMITS.excerpt),
      firstPostId: postId,
      postSeq: 1,
      replyCount: 0,
      likeCount: 0,
      hot: hotKey(0, 0, now),
      pinned: false,
      locked: false,
      removed: false,
      createdAt: now,
      lastReplyAt: now,
    };
    const post = this.row(postId, threadId, actor.userId, 0, input.body, '', media, mentions, now);
    try {
      await this.d.store.transaction(async (tx) => {
        await tx.insertThread(thread);
        await tx.insertPost(post);
        await tx.addThreadCount(boardId, 1);
        await tx.social.follow(threadId, actor.userId, now);
      });
    } catch (err) {
      await this.d.media.detach(
        actor.userId,
        postId,
        media.map((m) => m.id),
        actor.requestId,
      );
      throw err;
    }
    await this.notify(
      mentions.map((userId) => this.notice(NoticeKind.MENTION, userId, actor, threadId, postId)),
      title,
      actor,
    );
    return { thread, post };
  }

  async reply(actor: Actor, threadId: string, quotePostId: string, input: PostInput) {
    const { thread, view } = await this.d.access.thread(actor, threadId);
    if (thread.locked && !view.moderator) throw locked();
    await this.d.access.mayPost(actor, view, [input.body]);
    let quoted: PostRow | undefined;
    if (quotePostId) {
      quoted = await this.d.store.post(quotePostId);
      if (!quoted || quoted.threadId !== threadId || quoted.removed)
        throw errors.invalid(ErrorCode.NOT_FOUND, 'no such post in this thread', 'quotePostId');
    }
    const mentions = await this.mentionable(actor, view, input.mentionUserIds);
    const now = this.d.clock.now();
    const postId = this.d.ids.next();
    const media = await this.d.media.attach(actor.userId, postId, input.mediaIds, actor.requestId);
    let post: PostRow;
    try {
      post = await this.d.store.transaction(async (tx) => {
        // The floor and the counters in one statement (RETURNING), so the transaction (on
        // SQLite: the one connection, every read waiting) is three statements.
        const t = await tx.bump(threadId, { replies: 1, lastReplyAt: now, floor: true });
        const p = this.row(
          postId,
          threadId,
          actor.userId,
          t.postSeq - 1,
          input.body,
          quotePostId,
          media,
          mentions,
          now,
        );
        await tx.insertPost(p);
        await tx.updateThread(threadId, { hot: hotKey(t.likeCount, t.replyCount, t.createdAt) });
        return p;
      });
    } catch (err) {
      await this.d.media.detach(
        actor.userId,
        postId,
        media.map((m) => m.id),
        actor.requestId,
      );
      throw err;
    }
    const followers = await this.d.store.social.followers(threadId);
    await this.notify(
      [
        ...mentions.map((u) => this.notice(NoticeKind.MENTION, u, actor, threadId, postId)),
        ...(quoted ? [this.notice(NoticeKind.QUOTE, quoted.authorId, actor, threadId, postId)] : []),
        ...followers.map((u) => this.notice(NoticeKind.REPLY, u, actor, threadId, postId)),
      ],
      thread.title,
      actor,
    );
    return { post, quoted };
  }

  async edit(actor: Actor, postId: string, body: string, title: string) {
    const post = await this.d.store.post(postId);
    if (!post || post.removed) throw errors.notFound('no such post');
    const { thread, view } = await this.d.access.thread(actor, post.threadId);
    if (post.authorId !== actor.userId) throw errors.permissionDenied('only the author may edit a post');
    if (thread.locked) throw locked();
    if (title && post.floor !== 0) throw errors.invalidArgument('only a first post has a title', 'title');
    await this.d.access.mayPost(actor, view, [body, title], false);
    const now = this.d.clock.now();
    const html = renderPost(body);
    await this.d.store.transaction(async (tx) => {
      await tx.social.insertEdit(this.d.ids.next(), postId, post.body, now);
      await tx.updatePost(postId, { body, html, editedAt: now });
      if (post.floor === 0)
        await tx.updateThread(thread.id, { excerpt: excerpt(body, LIMITS.excerpt), ...(title && { title }) });
    });
    return { ...post, body, html, editedAt: now };
  }

  /** The author, or a moderator with a reason: the post is removed (a first post: the thread). */
  async remove(actor: Actor, postId: string, reason: string): Promise<void> {
    const post = await this.d.store.post(postId);
    if (!post || post.removed) throw errors.notFound('no such post');
    const { thread, view } = await this.d.access.thread(actor, post.threadId);
    const own = post.authorId === actor.userId;
    if (!own) {
      this.d.access.requireModerator(view);
      if (!reason) throw errors.invalidArgument('say why the post is removed', 'reason');
    }
    await this.removeAs(actor, post, thread, view, own ? '' : reason);
  }

  /** Removes a post (moderation or its author); the author is told when it was not them. */
  async removeAs(actor: Actor, post: PostRow, thread: ThreadRow, view: BoardView, reason: string) {
    await this.d.store.transaction(async (tx) => {
      await tx.updatePost(post.id, { removed: true, removedReason: reason });
      if (post.floor === 0) {
        await tx.updateThread(thread.id, { removed: true });
        await tx.addThreadCount(view.board.id, -1);
      } else {
        const t = await tx.bump(thread.id, { replies: -1, likes: -post.likeCount });
        await tx.updateThread(thread.id, { hot: hotKey(t.likeCount, t.replyCount, t.createdAt) });
      }
    });
    await this.d.media.detach(
      post.authorId,
      post.id,
      post.media.map((m) => m.id),
      actor.requestId,
    );
    if (post.authorId !== actor.userId)
      await this.notify(
        [
          {
            ...this.notice(NoticeKind.POST_REMOVED, post.authorId, actor, thread.id, post.id),
            text: reason,
            removed: true,
          },
        ],
        thread.title,
        actor,
      );
  }

  async like(actor: Actor, postId: string, unlike: boolean): Promise<number> {
    const post = await this.d.store.post(postId);
    if (!post || post.removed) throw errors.notFound('no such post');
    const { thread } = await this.d.access.thread(actor, post.threadId);
    if (thread.locked) throw locked();
    const now = this.d.clock.now();
    return this.d.store.transaction(async (tx) => {
      const changed = unlike
        ? await tx.social.unlike(postId, actor.userId)
        : await tx.social.like(postId, actor.userId, now);
      if (!changed) return (await tx.post(postId))!.likeCount;
      const delta = unlike ? -1 : 1;
      await tx.updatePost(postId, { likes: delta });
      const t = await tx.bump(thread.id, { likes: delta });
      await tx.updateThread(thread.id, { hot: hotKey(t.likeCount, t.replyCount, t.createdAt) });
      return (await tx.post(postId))!.likeCount;
    });
  }

  async follow(actor: Actor, threadId: string, unfollow: boolean): Promise<void> {
    await this.d.access.thread(actor, threadId);
    if (unfollow) await this.d.store.social.unfollow(threadId, actor.userId);
    else await this.d.store.social.follow(threadId, actor.userId, this.d.clock.now());
  }

  /** Of the people mentioned, those who may see the board (others are left out silently). */
  private async mentionable(actor: Actor, view: BoardView, ids: string[]): Promise<string[]> {
    const others = ids.filter((id) => id !== actor.userId);
    if (others.length === 0) return [];
    if (view.board.groupId) {
      const members: string[] = [];
      for (const id of others)
        if ((await this.d.contacts.roles(id, [view.board.groupId], actor.requestId)).get(view.board.groupId))
          members.push(id);
      return members;
    }
    const known = await this.d.contacts.people(actor.userId, others, actor.requestId);
    return others.filter((id) => known.has(id));
  }

  private row(
    id: string,
    threadId: string,
    authorId: string,
    floor: number,
    body: string,
    quotePostId: string,
    media: PostRow['media'],
    mentions: string[],
    now: number,
  ): PostRow {
    return {
      id,
      threadId,
      authorId,
      floor,
      body,
      html: renderPost(body),
      quotePostId,
      media,
      mentions,
      likeCount: 0,
      removed: false,
      removedReason: '',
      editedAt: 0,
      createdAt: now,
    };
  }

  notice(kind: number, userId: string, actor: Actor, threadId: string, postId: string): NewNotice {
    return { kind, userId, actorId: actor.userId, threadId, postId, text: '' };
  }

  /** Notices are best effort once the write committed: a failure is logged. */
  async notify(list: NewNotice[], title: string, actor: Actor): Promise<void> {
    try {
      await this.d.notices.send(list, title);
    } catch (err) {
      this.d.logger.warn({ err, request_id: actor.requestId }, 'square: notices not written');
    }
  }
}

const locked = () => new AppError(ErrorCode.SQUARE_THREAD_LOCKED, 'the thread is locked');
