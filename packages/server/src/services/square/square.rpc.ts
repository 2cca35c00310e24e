import type { HandlerContext, ServiceImpl } from '@connectrpc/connect';
import { type square as pb } from '@mychat/protocol';
import { errors } from '../../kernel/errors.js';
import { parseId } from '../../kernel/ids.js';
import { callInfo, requireCaller } from '../../rpc/call-context.js';
import type { Moderation } from './square.moderation.js';
import type { Notices } from './square.notices.js';
import type { Actor } from './square.peers.js';
import type { PostInput, Posts } from './square.posts.js';
import { type Reader, sortOf } from './square.reader.js';
import { ErrorCode } from '../../kernel/errors.js';
import { LIMITS, optionalId, parseIds, parseKeywords, parseLimit, parseText } from './square.validation.js';
import { boardMsg, postMsg, threadMsg } from './square.views.js';

function actorOf(ctx: HandlerContext): Actor {
  return { userId: requireCaller(ctx).userId, requestId: callInfo(ctx).requestId };
}

export interface SquareParts {
  reader: Reader;
  posts: Posts;
  moderation: Moderation;
  notices: Notices;
}

const body = (raw: string) => parseText(raw, 'body', LIMITS.body, { multiline: true, required: true });
const reason = (raw: string, required: boolean) =>
  parseText(raw, 'reason', LIMITS.reason, { multiline: true, required });

function postInput(req: { body: string; mediaIds: string[]; mentionUserIds: string[] }): PostInput {
  return {
    body: body(req.body),
    mediaIds: parseIds(req.mediaIds, 'mediaIds', LIMITS.images, ErrorCode.SQUARE_TOO_MANY_MEDIA),
    mentionUserIds: parseIds(req.mentionUserIds, 'mentionUserIds', LIMITS.mentions),
  };
}

/** SquareService over the wire: parse and validate, call, shape the answer. */
export function squareRpc(p: SquareParts, now: () => number): ServiceImpl<typeof pb.SquareService> {
  return {
    async listBoards(_req, ctx) {
      return p.reader.boards(actorOf(ctx));
    },
    async listThreads(req, ctx) {
      const actor = actorOf(ctx);
      const sort = sortOf(req.sort);
      if (!sort) throw errors.invalidArgument('unknown sort', 'sort');
      const limit = parseLimit(req.limit, LIMITS.threadsDefault);
      return p.reader.threads(actor, parseId(req.boardId, 'boardId'), sort, req.cursor, limit);
    },
    async getThread(req, ctx) {
      const actor = actorOf(ctx);
      const limit = parseLimit(req.limit, LIMITS.postsDefault);
      return p.reader.thread(actor, parseId(req.threadId, 'threadId'), req.cursor, limit, req.withHistory);
    },
    async createThread(req, ctx) {
      const actor = actorOf(ctx);
      const boardId = parseId(req.boardId, 'boardId');
      const title = parseText(req.title, 'title', LIMITS.title, { multiline: false, required: true });
      const r = await p.posts.createThread(actor, boardId, title, postInput(req));
      return { thread: threadMsg(r.thread, true), post: postMsg(r.post, { liked: false }) };
    },
    async reply(req, ctx) {
      const actor = actorOf(ctx);
      const threadId = parseId(req.threadId, 'threadId');
      const quote = optionalId(req.quotePostId, 'quotePostId');
      const r = await p.posts.reply(actor, threadId, quote, postInput(req));
      return {
        post: postMsg(r.post, {
          liked: false,
          quote: r.quoted && {
            authorId: r.quoted.authorId,
            excerpt: r.quoted.body.slice(0, LIMITS.quoteExcerpt),
          },
        }),
      };
    },
    async editPost(req, ctx) {
      const actor = actorOf(ctx);
      const postId = parseId(req.postId, 'postId');
      const title = parseText(req.title, 'title', LIMITS.title, { multiline: false, required: false });
      const post = await p.posts.edit(actor, postId, body(req.body), title);
      return { post: postMsg(post, { liked: false }) };
    },
    async deletePost(req, ctx) {
      const actor = actorOf(ctx);
      await p.posts.remove(actor, parseId(req.postId, 'postId'), reason(req.reason, false));
      return {};
    },
    async likePost(req, ctx) {
      const actor = actorOf(ctx);
      return { likeCount: await p.posts.like(actor, parseId(req.postId, 'postId'), req.unlike) };
    },
    async pinThread(req, ctx) {
      await p.moderation.pin(actorOf(ctx), parseId(req.threadId, 'threadId'), req.pinned);
      return {};
    },
    async lockThread(req, ctx) {
      await p.moderation.lock(actorOf(ctx), parseId(req.threadId, 'threadId'), req.locked);
      return {};
    },
    async moveThread(req, ctx) {
      const actor = actorOf(ctx);
      await p.moderation.move(actor, parseId(req.threadId, 'threadId'), parseId(req.toBoardId, 'toBoardId'));
      return {};
    },
    async reportContent(req, ctx) {
      const actor = actorOf(ctx);
      return {
        reportId: await p.moderation.report(actor, parseId(req.postId, 'postId'), reason(req.reason, true)),
      };
    },
    async followThread(req, ctx) {
      await p.posts.follow(actorOf(ctx), parseId(req.threadId, 'threadId'), req.unfollow);
      return {};
    },
    async listSquareNotices(req, ctx) {
      const actor = actorOf(ctx);
      return p.notices.list(actor, req.cursor, parseLimit(req.limit, LIMITS.postsDefault), req.markRead);
    },
    async createBoard(req, ctx) {
      const actor = actorOf(ctx);
      const name = parseText(req.name, 'name', LIMITS.boardName, { multiline: false, required: true });
      const description = parseText(req.description, 'description', LIMITS.boardDescription, {
        multiline: true,
        required: false,
      });
      const board = await p.moderation.createBoard(
        actor,
        name,
        description,
        optionalId(req.groupId, 'groupId'),
      );
      return { board: boardMsg({ board, moderator: true, bannedUntil: 0 }, now()) };
    },
    async setBoardModerator(req, ctx) {
      const actor = actorOf(ctx);
      await p.moderation.setModerator(
        actor,
        parseId(req.boardId, 'boardId'),
        parseId(req.userId, 'userId'),
        req.remove,
      );
      return {};
    },
    async listReports(req, ctx) {
      return p.moderation.reports(actorOf(ctx), req.cursor, parseLimit(req.limit, LIMITS.postsDefault));
    },
    async resolveReport(req, ctx) {
      const actor = actorOf(ctx);
      await p.moderation.resolve(
        actor,
        parseId(req.reportId, 'reportId'),
        req.remove,
        reason(req.reason, true),
      );
      return {};
    },
    async banUser(req, ctx) {
      const actor = actorOf(ctx);
      if (!Number.isSafeInteger(req.seconds) || req.seconds < 0 || req.seconds > LIMITS.maxBanSeconds)
        throw errors.invalidArgument(`seconds must be 0-${LIMITS.maxBanSeconds}`, 'seconds');
      await p.moderation.ban(
        actor,
        optionalId(req.boardId, 'boardId'),
        parseId(req.userId, 'userId'),
        req.seconds,
        reason(req.reason, false),
      );
      return {};
    },
    async setFilterKeywords(req, ctx) {
      await p.moderation.setKeywords(actorOf(ctx), parseKeywords(req.keywords));
      return {};
    },
    async getFilterKeywords(_req, ctx) {
      return { keywords: await p.moderation.keywords(actorOf(ctx)) };
    },
  };
}
