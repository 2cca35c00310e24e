/**
 * SquareInternalService over the wire: for the search module, the index feed, the boards a
 * person may read and which hits they may read now; for the operator's console, taking a
 * reported post down or keeping it, the reports to catch up with, and purging a deleted account.
 */
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import type { HandlerContext, ServiceImpl } from '@connectrpc/connect';
import type { square as pb } from '@mychat/protocol';
import { errors } from '../../kernel/errors.js';
import { isId, parseId } from '../../kernel/ids.js';
import { callInfo } from '../../rpc/call-context.js';
import type { IndexFeed } from './square.index-feed.js';
import type { Purge } from './square.purge.js';
import { REPORT_OPEN } from './square.tables.js';
import { LIMITS, parseText } from './square.validation.js';
import { reportMsg } from './square.views.js';

/** Most items one ListPostsForIndex call returns. */
export const MAX_INDEX_FEED = 1000;
/** Most ids one FilterVisiblePosts call takes. */
export const MAX_FILTER = 200;
/** Most reports one ListReportsForConsole call returns. */
export const MAX_CONSOLE_REPORTS = 500;

const cursor = (raw: string, field: string): string => {
  if (raw !== '' && !isId(raw)) throw errors.invalidArgument(`${field} is not a cursor`, field);
  return raw;
};

export function squareInternalRpc(
  feed: IndexFeed,
  purge: Purge,
): ServiceImpl<typeof pb.SquareInternalService> {
  return {
    async listPostsForIndex(req) {
      const after = cursor(req.afterCursor, 'afterCursor');
      const until = cursor(req.untilCursor, 'untilCursor');
      if (req.limit < 1 || req.limit > MAX_INDEX_FEED)
        throw errors.invalidArgument(`limit must be 1-${MAX_INDEX_FEED}`, 'limit');
      const page = await feed.page(after, until, req.limit);
      return {
        posts: page.items.map((i) => ({
          postId: i.post.id,
          threadId: i.thread.id,
          boardId: i.thread.boardId,
          authorId: i.post.authorId,
          text: i.removed ? '' : i.text,
          createdAt: timestampFromMs(i.post.createdAt),
          removed: i.removed,
          edited: i.edited,
        })),
        nextCursor: page.next,
      };
    },

    async listReadableBoards(req, ctx: HandlerContext) {
      const viewer = parseId(req.viewerId, 'viewerId');
      return { boardIds: await feed.readableBoards(viewer, callInfo(ctx).requestId) };
    },

    async filterVisiblePosts(req, ctx: HandlerContext) {
      const viewer = parseId(req.viewerId, 'viewerId');
      if (req.postIds.length > MAX_FILTER)
        throw errors.invalidArgument(`at most ${MAX_FILTER} post ids`, 'postIds');
      const ids = [...new Set(req.postIds.map((id) => parseId(id, 'postIds')))];
      const r = await feed.filter(viewer, ids, callInfo(ctx).requestId);
      return {
        visible: r.visible.map(({ post, thread }) => ({
          postId: post.id,
          threadId: thread.id,
          boardId: thread.boardId,
          threadTitle: thread.title,
          floor: post.floor,
        })),
        goneIds: r.gone,
      };
    },

    async removePost(req, ctx: HandlerContext) {
      const postId = parseId(req.postId, 'postId');
      const moderatorId = parseId(req.moderatorId, 'moderatorId');
      const reason = parseText(req.reason, 'reason', LIMITS.reason, { multiline: true, required: true });
      const actor = { userId: moderatorId, requestId: callInfo(ctx).requestId };
      return { removed: await purge.removePost(actor, postId, reason) };
    },

    async keepPost(req, ctx: HandlerContext) {
      const postId = parseId(req.postId, 'postId');
      const moderatorId = parseId(req.moderatorId, 'moderatorId');
      const reason = parseText(req.reason, 'reason', LIMITS.reason, { multiline: true, required: true });
      const actor = { userId: moderatorId, requestId: callInfo(ctx).requestId };
      return { reportsClosed: await purge.keepPost(actor, postId, reason) };
    },

    async listReportsForConsole(req) {
      const after = cursor(req.afterCursor, 'afterCursor');
      if (req.limit < 1 || req.limit > MAX_CONSOLE_REPORTS)
        throw errors.invalidArgument(`limit must be 1-${MAX_CONSOLE_REPORTS}`, 'limit');
      const rows = await purge.reportsForConsole(after, req.limit);
      return {
        reports: rows.map(({ report: r, postCreatedAt }) => ({
          report: reportMsg(r),
          open: r.status === REPORT_OPEN,
          ...(postCreatedAt > 0 && { postCreatedAt: timestampFromMs(postCreatedAt) }),
        })),
        nextCursor: rows.length === req.limit ? rows[rows.length - 1]!.report.id : '',
      };
    },

    async purgeUser(req, ctx: HandlerContext) {
      const userId = parseId(req.userId, 'userId');
      const actor = { userId: '0', requestId: callInfo(ctx).requestId };
      return { postsRemoved: await purge.purgeUser(actor, userId) };
    },
  };
}
