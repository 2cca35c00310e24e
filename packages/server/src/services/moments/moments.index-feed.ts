/**
 * What the search service reads of moments (MomentsInternalService): the posts' text in id
 * order for its indexer, and which candidates a searcher may see now. Reads only.
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

/** Most posts one ListMomentsForIndex call returns. */
export const MAX_INDEX_FEED = 1000;
/** Most ids one FilterVisibleMoments call takes. */
export const MAX_FILTER = 200;

const cursor = (raw: string, field: string): string | undefined => {
  if (raw === '') return undefined;
  if (!isId(raw)) throw errors.invalidArgument(`${field} is not a moment id`, field);
  return raw;
};

export function momentsInternalRpc(d: {
  store: MomentsStore;
  feed: Feed;
  clock: Clock;
}): ServiceImpl<typeof pb.MomentsInternalService> {
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
  };
}
