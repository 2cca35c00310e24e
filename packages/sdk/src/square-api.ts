import type { Client, Transport } from '@connectrpc/connect';
import type { gateway, square as pb } from '@mychat/protocol';
import type { Authed } from './chat-backend.js';
import { MyChatError } from './errors.js';
import { Emitter } from './events.js';
import {
  SORTS,
  toBoard,
  toPost,
  toReport,
  pushedNotice,
  toSquareNotice,
  toSquareUsers,
  toThread,
  type Board,
  type Post,
  type SquareNotice,
  type SquareReport,
  type SquareUsers,
  type Thread,
  type ThreadSort,
} from './square-types.js';

/** What a new thread or a reply carries. */
export interface SquarePostOptions {
  /** Markdown (a safe subset), 1-10 000 characters. */
  body: string;
  /** At most 9 media ids of the user's own ready images. */
  images?: string[];
  /** At most 10 people to notify (those who cannot see the board are left out). */
  mentions?: string[];
}

export interface SquareEvents extends Record<string, unknown[]> {
  /** A new square notice for the user (only while connected). */
  notice: [notice: SquareNotice];
}

const need = <T>(v: T | undefined, what: string): T => {
  if (v === undefined) throw new MyChatError(`the server sent no ${what}`, 'UNKNOWN');
  return v;
};

/**
 * The square (大论坛): boards, threads, replies, likes, follows, notices and moderation.
 * Failures reject with MyChatError (`reason` e.g. SQUARE_THREAD_LOCKED, SQUARE_BANNED,
 * NOT_FOUND). Show `post.html` (sanitized by the server), never `post.body` as HTML.
 */
export class SquareApi extends Emitter<SquareEvents> {
  private client?: Promise<Client<typeof pb.SquareService>>;

  /** @internal */
  constructor(
    private readonly transport: Transport,
    private readonly authed: Authed,
    private readonly baseUrl: string,
  ) {
    super();
  }

  /** The RPC client, loaded on first use (see square-rpc.ts). */
  private rpc(): Promise<Client<typeof pb.SquareService>> {
    this.client ??= import('./square-rpc.js').then(
      (m) => m.squareClient(this.transport),
      (e: unknown) => {
        this.client = undefined;
        throw e;
      },
    );
    return this.client;
  }

  /** Every board the user may see; `isAdmin`: a square admin (may open public boards). */
  async boards(): Promise<{ boards: Board[]; isAdmin: boolean }> {
    const r = await this.authed(async (h) => (await this.rpc()).listBoards({}, h));
    return { boards: r.boards.map(toBoard), isAdmin: r.isAdmin };
  }

  /** A page of a board's threads (pinned first on the first page); pass `nextCursor` on. */
  async threads(
    boardId: string,
    o: { sort?: ThreadSort; cursor?: string; limit?: number } = {},
  ): Promise<{ board: Board; threads: Thread[]; users: SquareUsers; nextCursor?: string }> {
    const r = await this.authed(async (h) =>
      (await this.rpc()).listThreads(
        { boardId, sort: SORTS[o.sort ?? 'latest'], cursor: o.cursor ?? '', limit: o.limit ?? 0 },
        h,
      ),
    );
    return {
      board: toBoard(need(r.board, 'board')),
      threads: r.threads.map(toThread),
      users: toSquareUsers(r.users),
      ...(r.nextCursor && { nextCursor: r.nextCursor }),
    };
  }

  /** A thread and a page of its posts by floor, oldest first. */
  async thread(
    threadId: string,
    o: { cursor?: string; limit?: number; withHistory?: boolean } = {},
  ): Promise<{
    thread: Thread;
    board: Board;
    posts: Post[];
    users: SquareUsers;
    canModerate: boolean;
    nextCursor?: string;
  }> {
    const r = await this.authed(async (h) =>
      (await this.rpc()).getThread(
        { threadId, cursor: o.cursor ?? '', limit: o.limit ?? 0, withHistory: o.withHistory ?? false },
        h,
      ),
    );
    return {
      thread: toThread(need(r.thread, 'thread')),
      board: toBoard(need(r.board, 'board')),
      posts: r.posts.map((p) => this.absolute(toPost(p))),
      users: toSquareUsers(r.users),
      canModerate: r.canModerate,
      ...(r.nextCursor && { nextCursor: r.nextCursor }),
    };
  }

  async createThread(
    boardId: string,
    title: string,
    o: SquarePostOptions,
  ): Promise<{ thread: Thread; post: Post }> {
    const r = await this.authed(async (h) =>
      (await this.rpc()).createThread(
        { boardId, title, body: o.body, mediaIds: o.images ?? [], mentionUserIds: o.mentions ?? [] },
        h,
      ),
    );
    return { thread: toThread(need(r.thread, 'thread')), post: toPost(need(r.post, 'post')) };
  }

  /** A reply; `quotePostId` quotes another post of the same thread. */
  async reply(threadId: string, o: SquarePostOptions & { quotePostId?: string }): Promise<Post> {
    const r = await this.authed(async (h) =>
      (await this.rpc()).reply(
        {
          threadId,
          body: o.body,
          mediaIds: o.images ?? [],
          mentionUserIds: o.mentions ?? [],
          quotePostId: o.quotePostId ?? '',
        },
        h,
      ),
    );
    return toPost(need(r.post, 'post'));
  }

  /** The author changes a post (the earlier text is kept); `title` for a first post. */
  async edit(postId: string, body: string, title = ''): Promise<Post> {
    const r = await this.authed(async (h) => (await this.rpc()).editPost({ postId, body, title }, h));
    return toPost(need(r.post, 'post'));
  }

  /** The author, or a moderator with a reason (told to the author). */
  async remove(postId: string, reason = ''): Promise<void> {
    await this.authed(async (h) => (await this.rpc()).deletePost({ postId, reason }, h));
  }

  /** Likes (or with `false`, unlikes) a post; resolves with its like count. */
  async like(postId: string, like = true): Promise<number> {
    const r = await this.authed(async (h) => (await this.rpc()).likePost({ postId, unlike: !like }, h));
    return r.likeCount;
  }

  async follow(threadId: string, follow = true): Promise<void> {
    await this.authed(async (h) => (await this.rpc()).followThread({ threadId, unfollow: !follow }, h));
  }

  async report(postId: string, reason: string): Promise<string> {
    return (await this.authed(async (h) => (await this.rpc()).reportContent({ postId, reason }, h))).reportId;
  }

  /** Newest first, with the unread count; `markRead` marks everything up to now as read. */
  async notices(
    o: { cursor?: string; limit?: number; markRead?: boolean } = {},
  ): Promise<{ notices: SquareNotice[]; users: SquareUsers; unread: number; nextCursor?: string }> {
    const r = await this.authed(async (h) =>
      (await this.rpc()).listSquareNotices(
        { cursor: o.cursor ?? '', limit: o.limit ?? 0, markRead: o.markRead ?? false },
        h,
      ),
    );
    return {
      notices: r.notices.map(toSquareNotice),
      users: toSquareUsers(r.users),
      unread: r.unread,
      ...(r.nextCursor && { nextCursor: r.nextCursor }),
    };
  }

  // Moderation (SQUARE_NOT_MODERATOR / PERMISSION_DENIED for others).

  async pin(threadId: string, pinned = true): Promise<void> {
    await this.authed(async (h) => (await this.rpc()).pinThread({ threadId, pinned }, h));
  }

  async lock(threadId: string, locked = true): Promise<void> {
    await this.authed(async (h) => (await this.rpc()).lockThread({ threadId, locked }, h));
  }

  async move(threadId: string, toBoardId: string): Promise<void> {
    await this.authed(async (h) => (await this.rpc()).moveThread({ threadId, toBoardId }, h));
  }

  /** A public board (square admins) or, with `groupId`, a group's board (its owner or admins). */
  async createBoard(name: string, o: { description?: string; groupId?: string } = {}): Promise<Board> {
    const r = await this.authed(async (h) =>
      (await this.rpc()).createBoard({ name, description: o.description ?? '', groupId: o.groupId ?? '' }, h),
    );
    return toBoard(need(r.board, 'board'));
  }

  async setModerator(boardId: string, userId: string, moderator = true): Promise<void> {
    await this.authed(async (h) =>
      (await this.rpc()).setBoardModerator({ boardId, userId, remove: !moderator }, h),
    );
  }

  async reports(o: { cursor?: string; limit?: number } = {}): Promise<{
    reports: SquareReport[];
    users: SquareUsers;
    nextCursor?: string;
  }> {
    const r = await this.authed(async (h) =>
      (await this.rpc()).listReports({ cursor: o.cursor ?? '', limit: o.limit ?? 0 }, h),
    );
    return {
      reports: r.reports.map(toReport),
      users: toSquareUsers(r.users),
      ...(r.nextCursor && { nextCursor: r.nextCursor }),
    };
  }

  /** Removes (`remove`) or keeps the reported post; the reporters are told `reason`. */
  async resolveReport(reportId: string, remove: boolean, reason: string): Promise<void> {
    await this.authed(async (h) => (await this.rpc()).resolveReport({ reportId, remove, reason }, h));
  }

  /** Bans from a board (its moderators) or, with boardId "", the whole square; 0 s lifts it. */
  async ban(userId: string, o: { boardId?: string; seconds: number; reason?: string }): Promise<void> {
    await this.authed(async (h) =>
      (await this.rpc()).banUser(
        { userId, boardId: o.boardId ?? '', seconds: o.seconds, reason: o.reason ?? '' },
        h,
      ),
    );
  }

  async keywords(): Promise<string[]> {
    return (await this.authed(async (h) => (await this.rpc()).getFilterKeywords({}, h))).keywords;
  }

  async setKeywords(keywords: string[]): Promise<void> {
    await this.authed(async (h) => (await this.rpc()).setFilterKeywords({ keywords }, h));
  }

  /** The files' URLs as absolute ones (the server signs paths on its own origin). */
  private absolute(p: Post): Post {
    const abs = (u: string) => (u ? new URL(u, this.baseUrl + '/').toString() : u);
    return { ...p, images: p.images.map((i) => ({ ...i, url: abs(i.url), fullUrl: abs(i.fullUrl) })) };
  }

  /** A frame the socket pushed. @internal */
  pushed(ev: gateway.SquareNoticePush): void {
    this.emit('notice', pushedNotice(ev));
  }
}
