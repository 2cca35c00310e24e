import { AppError, ErrorCode, errors } from '../../kernel/errors.js';
import type { Clock } from '../../kernel/clock.js';
import type { IdGenerator } from '../../kernel/ids.js';
import type { Access } from './square.access.js';
import { NoticeKind } from './square.notices.js';
import type { Actor, Contacts } from './square.peers.js';
import type { Posts } from './square.posts.js';
import { decodeCursor, encodeCursor } from './square.ranking.js';
import type { BoardRow, SquareStore } from './square.repository.js';
import type { ReportRow } from './square.social.repository.js';
import { REPORT_KEPT, REPORT_OPEN, REPORT_REMOVED } from './square.tables.js';
import { reportMsg, userMsg } from './square.views.js';
import type { MessageInitShape } from '@bufbuild/protobuf';
import type { square as pb } from '@mychat/protocol';

const GROUP_ROLE_ADMIN = 2;

/** Boards, moderators, pins, locks, moves, reports, bans and the keyword filter. */
export class Moderation {
  constructor(
    private readonly d: {
      store: SquareStore;
      access: Access;
      contacts: Contacts;
      posts: Posts;
      ids: IdGenerator;
      clock: Clock;
      /** Where a report is announced to the console (contracts/square-report.ts). */
      announce: (r: ReportRow, postCreatedAt: number) => Promise<void>;
    },
  ) {}

  async createBoard(actor: Actor, name: string, description: string, groupId: string): Promise<BoardRow> {
    if (groupId) {
      if (
        (await this.d.access.groupRole(actor, groupId)) < GROUP_ROLE_ADMIN &&
        !(await this.d.access.isAdmin(actor.userId))
      )
        throw errors.permissionDenied("only the group's owner or admins may open its board");
    } else if (!(await this.d.access.isAdmin(actor.userId))) {
      throw errors.permissionDenied('only square admins may open a public board');
    }
    const board: BoardRow = {
      id: this.d.ids.next(),
      name,
      description,
      groupId,
      threadCount: 0,
      createdBy: actor.userId,
      createdAt: this.d.clock.now(),
    };
    await this.d.store.insertBoard(board);
    return board;
  }

  async setModerator(actor: Actor, boardId: string, userId: string, remove: boolean): Promise<void> {
    const view = await this.d.access.board(actor, boardId);
    const groupOwnerOrAdmin =
      !!view.board.groupId && (await this.d.access.groupRole(actor, view.board.groupId)) >= GROUP_ROLE_ADMIN;
    if (!(await this.d.access.isAdmin(actor.userId)) && !groupOwnerOrAdmin)
      throw errors.permissionDenied('only square admins or the group owner or admins name moderators');
    if (!remove) {
      const known = await this.d.contacts.people(actor.userId, [userId], actor.requestId);
      if (!known.has(userId)) throw errors.invalid(ErrorCode.NOT_FOUND, 'no such user', 'userId');
    }
    await this.d.store.social.setModerator(boardId, userId, !remove, this.d.clock.now());
  }

  async pin(actor: Actor, threadId: string, pinned: boolean): Promise<void> {
    const { view } = await this.d.access.thread(actor, threadId);
    this.d.access.requireModerator(view);
    await this.d.store.updateThread(threadId, { pinned });
  }

  async lock(actor: Actor, threadId: string, locked: boolean): Promise<void> {
    const { view } = await this.d.access.thread(actor, threadId);
    this.d.access.requireModerator(view);
    await this.d.store.updateThread(threadId, { locked });
  }

  async move(actor: Actor, threadId: string, toBoardId: string): Promise<void> {
    const { thread, view } = await this.d.access.thread(actor, threadId);
    this.d.access.requireModerator(view);
    const to = await this.d.access.board(actor, toBoardId);
    this.d.access.requireModerator(to);
    if (to.board.id === thread.boardId) return;
    await this.d.store.transaction(async (tx) => {
      await tx.updateThread(threadId, { boardId: to.board.id });
      await tx.addThreadCount(thread.boardId, -1);
      await tx.addThreadCount(to.board.id, 1);
      // Its posts come again in the search feed, to be indexed under the new board only.
      const posts = await tx.db
        .selectFrom('square_posts')
        .select('id')
        .where('thread_id', '=', threadId)
        .execute();
      for (let i = 0; i < posts.length; i += 500)
        await tx.db
          .insertInto('square_reindex')
          .values(posts.slice(i, i + 500).map((p) => ({ id: this.d.ids.next(), post_id: p.id })))
          .execute();
    });
  }

  async report(actor: Actor, postId: string, reason: string): Promise<string> {
    const post = await this.d.store.post(postId);
    if (!post || post.removed) throw errors.notFound('no such post');
    const { thread } = await this.d.access.thread(actor, post.threadId);
    const id = this.d.ids.next();
    const snapshot = post.floor === 0 ? `${thread.title}\n\n${post.body}` : post.body;
    const row: ReportRow = {
      id,
      reporterId: actor.userId,
      boardId: thread.boardId,
      threadId: thread.id,
      postId,
      authorId: post.authorId,
      reason,
      snapshot,
      status: REPORT_OPEN,
      createdAt: this.d.clock.now(),
    };
    const fresh = await this.d.store.social.insertReport(row);
    if (!fresh) throw new AppError(ErrorCode.SQUARE_ALREADY_REPORTED, 'you already reported this post');
    // The console's queue files it too (idempotent on this id); a lost announcement leaves it
    // in the board moderators' queue only.
    await this.d.announce(row, post.createdAt);
    return id;
  }

  /** Open reports of the boards the caller moderates (square admins: all), oldest first. */
  async reports(
    actor: Actor,
    cursor: string,
    limit: number,
  ): Promise<MessageInitShape<typeof pb.ListReportsResponseSchema>> {
    const admin = await this.d.access.isAdmin(actor.userId);
    const boards = admin
      ? undefined
      : (await this.d.access.boards(actor)).filter((v) => v.moderator).map((v) => v.board.id);
    const after = decodeCursor(cursor)?.id;
    const rows = await this.d.store.social.openReports(boards, after, limit + 1);
    const page = rows.slice(0, limit);
    const people = await this.d.contacts.people(
      actor.userId,
      page.flatMap((r) => [r.reporterId, r.authorId]),
      actor.requestId,
    );
    return {
      reports: page.map(reportMsg),
      nextCursor: rows.length > limit ? encodeCursor({ key: 0, id: page[page.length - 1]!.id }) : '',
      users: [...people.values()].map(userMsg),
    };
  }

  /** Removes or keeps the reported post; every open report of it is closed, each reporter told. */
  async resolve(actor: Actor, reportId: string, remove: boolean, reason: string): Promise<void> {
    const report = await this.d.store.social.report(reportId);
    if (!report) throw errors.notFound('no such report');
    const view = await this.d.access.board(actor, report.boardId).catch(() => undefined);
    if (!view?.moderator && !(await this.d.access.isAdmin(actor.userId)))
      throw new AppError(ErrorCode.SQUARE_NOT_MODERATOR, 'only a moderator of this board may do this');
    if (report.status !== REPORT_OPEN)
      throw new AppError(ErrorCode.SQUARE_REPORT_RESOLVED, 'the report was already resolved');
    const post = await this.d.store.post(report.postId);
    const thread = post && (await this.d.store.thread(post.threadId));
    if (remove && post && thread && !post.removed && view)
      await this.d.posts.removeAs(actor, post, thread, view, reason);
    await closeReports(this.d, actor, report.postId, thread?.title ?? '', remove, reason);
  }

  /** A ban from a board (its moderators) or, with no board, the whole square (admins). */
  async ban(actor: Actor, boardId: string, userId: string, seconds: number, reason: string): Promise<void> {
    if (boardId) this.d.access.requireModerator(await this.d.access.board(actor, boardId));
    else if (!(await this.d.access.isAdmin(actor.userId)))
      throw new AppError(ErrorCode.SQUARE_NOT_MODERATOR, 'only square admins may ban from the whole square');
    if (userId === actor.userId) throw errors.invalidArgument('you cannot ban yourself', 'userId');
    const now = this.d.clock.now();
    await this.d.store.social.setBan({
      boardId,
      userId,
      until: now + seconds * 1000,
      reason,
      by: actor.userId,
      now,
    });
  }

  async setKeywords(actor: Actor, words: string[]): Promise<void> {
    if (!(await this.d.access.isAdmin(actor.userId)))
      throw errors.permissionDenied('only square admins manage the keyword filter');
    await this.d.store.transaction((tx) => tx.social.setKeywords(words, this.d.clock.now()));
  }

  async keywords(actor: Actor): Promise<string[]> {
    if (!(await this.d.access.isAdmin(actor.userId)))
      throw errors.permissionDenied('only square admins see the keyword filter');
    return this.d.store.social.keywords();
  }
}

/** Closes every open report of a post with the outcome; each reporter gets a notice. */
export async function closeReports(
  d: { store: SquareStore; posts: Posts },
  actor: Actor,
  postId: string,
  threadTitle: string,
  remove: boolean,
  reason: string,
): Promise<number> {
  const closed = await d.store.social.resolveReports(
    postId,
    remove ? REPORT_REMOVED : REPORT_KEPT,
    actor.userId,
    reason,
  );
  await d.posts.notify(
    closed.map((r) => ({
      ...d.posts.notice(NoticeKind.REPORT_RESOLVED, r.reporterId, actor, r.threadId, r.postId),
      text: reason,
      removed: remove,
    })),
    threadTitle,
    actor,
  );
  return closed.length;
}
