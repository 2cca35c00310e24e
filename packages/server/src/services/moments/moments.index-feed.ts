/**
 * MomentsInternalService: for the search service, the posts' text in id order for its indexer
 * and which candidates a searcher may see now; for the operator's console, taking a reported
 * post down and deleting every post of a deleted account.
 */
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import type { HandlerContext, ServiceImpl } from '@connectrpc/connect';
import type { moments as pb } from '@mychat/protocol';
import { errors } from '../../kernel/errors.js';
import { isId, parseId } from '../../kernel/ids.js';
import { callInfo } from '../../rpc/call-context.js';
import type { Clock } from '../../kernel/clock.js';
import type { Feed } from './moments.feed.js';
import type { MomentsStore } from './moments.repository.js';
import type { MomentsService } from './moments.service.js';

/** Most posts one ListMomentsForIndex call returns. */
export const MAX_INDEX_FEED = 1000;
/** Most ids one FilterVisibleMoments call takes. */
export const MAX_FILTER = 200;

const cursor = (raw: string, field: string): string | undefined => {
  if (raw === '') return undefined;
  if (!isId(raw)) throw errors.invalidArgument(`${field} is not a moment id`, field);
  return raw;
};

/** Posts read per page while purging an account. */
const PURGE_PAGE = 200;

export function momentsInternalRpc(d: {
  store: MomentsStore;
  feed: Feed;
  posts: MomentsService;
  clock: Clock;
}): ServiceImpl<typeof pb.MomentsInternalService> {
  /** Deletes a post as its author would (likes, comments, notices, pointers, files). */
  const removeAsAuthor = async (momentId: string, requestId: string): Promise<boolean> => {
    const post = await d.store.posts.get(momentId);
    if (!post) return false;
    await d.posts.delete({ userId: post.authorId, sessionId: '', requestId }, post.id);
    return true;
  };
  return {
    async listMomentsForIndex(req) {
      const after = cursor(req.afterCursor, 'afterCursor');
      const until = cursor(req.untilCursor, 'untilCursor');
      if (req.limit < 1 || req.limit > MAX_INDEX_FEED)
        throw errors.invalidArgument(`limit must be 1-${MAX_INDEX_FEED}`, 'limit');
      const rows = await d.store.posts.afterId(after, until, req.limit);
      const last = rows[rows.length - 1];
      return {
        moments: rows
          .filter((p) => p.text.trim() !== '')
          .map((p) => ({
            id: p.id,
            authorId: p.authorId,
            text: p.text,
            createdAt: timestampFromMs(p.createdAt),
          })),
        nextCursor: last ? last.id : req.afterCursor,
      };
    },

    async filterVisibleMoments(req, ctx: HandlerContext) {
      const viewer = parseId(req.viewerId, 'viewerId');
      if (req.momentIds.length > MAX_FILTER)
        throw errors.invalidArgument(`at most ${MAX_FILTER} moment ids`, 'momentIds');
      const ids = [...new Set(req.momentIds.map((id) => parseId(id, 'momentIds')))];
      const posts = await d.store.posts.many(ids);
      const found = [...posts.values()];
      const actor = { userId: viewer, sessionId: '', requestId: callInfo(ctx).requestId };
      const circle = await d.feed.circle(actor, [...new Set(found.map((p) => p.authorId))]);
      const seen = await d.feed.judge(found, circle, d.clock.now());
      return {
        visibleIds: seen.filter((s) => s.access !== 'none').map((s) => s.post.id),
        goneIds: ids.filter((id) => !posts.has(id)),
      };
    },

    async removeMoment(req, ctx: HandlerContext) {
      const id = parseId(req.momentId, 'momentId');
      return { removed: await removeAsAuthor(id, callInfo(ctx).requestId) };
    },

    async purgeUserMoments(req, ctx: HandlerContext) {
      const userId = parseId(req.userId, 'userId');
      let removed = 0;
      for (;;) {
        const page = await d.store.posts.album(userId, '', 0, PURGE_PAGE);
        for (const p of page) if (await removeAsAuthor(p.id, callInfo(ctx).requestId)) removed++;
        if (page.length < PURGE_PAGE) break;
      }
      return { momentsRemoved: removed };
    },
  };
}
