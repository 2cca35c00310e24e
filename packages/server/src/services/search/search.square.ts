/**
 * The square in the search index: posts follow the square's feed into the same tables as
 * messages, each post a document of type SQUARE_TYPE in its board's own range (conv_id = the
 * board id when the post was indexed, seq = a per-board number the indexer gives it); a
 * thread's first post is found by the thread's title too. An edited post comes again in the
 * feed and replaces its document. A search looks in the ranges of the boards the caller may
 * read, checks each candidate against its text, then asks the square which the caller may
 * read now (a removed post or thread, a group board they left: not), so a hit is always a
 * post GetThread would show them. Posts found removed leave the index then.
 */
import { create } from '@bufbuild/protobuf';
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import type { Client } from '@connectrpc/connect';
import type { square } from '@mychat/protocol';
import { search as pb } from '@mychat/protocol';
import { callHeaders, type Caller } from '../../rpc/call-context.js';
import { postPage, type FeedSource } from './search.indexer.js';
import type { DocKey, HitCursor, IndexDoc, SearchIndex } from './search.port.js';
import type { Page } from './search.service.js';
import { matches, parseQuery, snippet } from './search.text.js';

/** The document type of a square post (message types are below 100, moments 1000). */
export const SQUARE_TYPE = 1001;

type SquareFeed = Pick<Client<typeof square.SquareInternalService>, 'listPostsForIndex'>;
type SquareCheck = Pick<
  Client<typeof square.SquareInternalService>,
  'listReadableBoards' | 'filterVisiblePosts'
>;

/** The square's feed, as documents: a post new to the index, or edited, or removed. */
export function squareSource(feed: SquareFeed, index: SearchIndex): FeedSource {
  return {
    prefix: 'square:',
    // ListPostsForIndex takes at most 1 000 (and each page's posts are numbered from the index).
    maxRead: 1000,
    async read(after, until, limit) {
      const page = await feed.listPostsForIndex({ afterCursor: after, untilCursor: until, limit });
      // Each post as the page last gives it.
      const latest = new Map(page.posts.map((p) => [p.postId, p]));
      const known = await index.keysOfIds(SQUARE_TYPE, [...latest.keys()]);
      const remove: DocKey[] = [];
      const fresh: square.IndexedPost[] = [];
      for (const p of latest.values()) {
        const key = known.get(p.postId);
        // Read again unchanged (the indexer's second pass over young items): nothing to do.
        if (key && !p.edited && !p.removed) continue;
        if (key) remove.push(key);
        if (!p.removed && p.text.trim() !== '') fresh.push(p);
      }
      const posts = fresh.map((p) => ({ ...p, rangeId: p.boardId, id: p.postId }));
      return postPage(index, SQUARE_TYPE, { posts, all: page.posts, nextCursor: page.nextCursor }, remove);
    },
  };
}

/** Searching the posts of the square a caller may read. */
export class SquareSearch {
  constructor(
    private readonly d: {
      index: SearchIndex;
      square: SquareCheck;
    },
  ) {}

  async search(
    caller: Caller,
    requestId: string,
    input: { query: string; limit: number; after?: HitCursor },
  ): Promise<Page<pb.SquareHit>> {
    const q = parseQuery(input.query);
    const opts = { headers: callHeaders({ caller, requestId }) };
    const { boardIds } = await this.d.square.listReadableBoards({ viewerId: caller.userId }, opts);
    if (boardIds.length === 0) return { items: [] };
    const scope = {
      windows: boardIds.map((convId) => ({ convId, firstSeq: 0 })),
      types: [SQUARE_TYPE],
    };
    const out: { doc: IndexDoc; post: square.VisiblePost }[] = [];
    let cursor = input.after;
    for (;;) {
      const want = input.limit + 1 - out.length;
      const batch = await this.d.index.find(q, scope, {
        order: 'time',
        limit: want,
        ...(cursor && { after: cursor }),
      });
      const texts = batch.filter((d) => matches(q, d.text));
      if (texts.length) {
        const r = await this.d.square.filterVisiblePosts(
          { viewerId: caller.userId, postIds: texts.map((d) => d.msgId) },
          opts,
        );
        const visible = new Map(r.visible.map((v) => [v.postId, v]));
        for (const doc of texts) {
          const post = visible.get(doc.msgId);
          if (post) out.push({ doc, post });
        }
        if (r.goneIds.length) {
          const gone = new Set(r.goneIds);
          await this.d.index.write({ add: [], remove: texts.filter((d) => gone.has(d.msgId)) });
        }
      }
      if (batch.length < want || out.length > input.limit) break;
      cursor = batch[batch.length - 1];
    }
    const items = out.slice(0, input.limit);
    const last = items[items.length - 1];
    return {
      items: items.map(({ doc, post }) => {
        const s = snippet(q, doc.text);
        return create(pb.SquareHitSchema, {
          postId: doc.msgId,
          threadId: post.threadId,
          boardId: post.boardId,
          threadTitle: post.threadTitle,
          floor: post.floor,
          authorId: doc.senderId,
          createdAt: timestampFromMs(doc.createdAt),
          snippet: s.text,
          highlights: s.ranges.map(([start, end]) => ({ start, end })),
        });
      }),
      ...(out.length > input.limit && last && { next: last.doc }),
    };
  }
}
