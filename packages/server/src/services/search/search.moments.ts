/**
 * Moments in the search index: posts' text follows the moments service's feed into the same
 * tables as messages, each post a document of type MOMENT_TYPE in its author's own range
 * (conv_id = the author's user id, seq = a per-author number the indexer gives it). User ids
 * and conversation ids come from one id space and never meet, so a message search (whose
 * ranges are conversations) never reaches a post. A search looks in the caller's and their
 * friends' ranges only, checks each candidate against its text, and then asks the moments
 * service which the caller may see now (the post's audience, blocks, album windows), so a hit
 * is always a post GetMoment would show them. Posts found deleted leave the index then.
 */
import { create } from '@bufbuild/protobuf';
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import type { Client } from '@connectrpc/connect';
import type { contacts, moments } from '@mychat/protocol';
import { search as pb } from '@mychat/protocol';
import { callHeaders, type Caller } from '../../rpc/call-context.js';
import { postPage, type FeedSource } from './search.indexer.js';
import type { HitCursor, IndexDoc, SearchIndex } from './search.port.js';
import type { Page } from './search.service.js';
import { matches, parseQuery, snippet } from './search.text.js';

/** The document type of a post (message types are below 100). */
export const MOMENT_TYPE = 1000;

type MomentsFeed = Pick<Client<typeof moments.MomentsInternalService>, 'listMomentsForIndex'>;
type MomentsCheck = Pick<Client<typeof moments.MomentsInternalService>, 'filterVisibleMoments'>;
type Friends = Pick<Client<typeof contacts.ContactsInternalService>, 'getFriendGraph'>;

/** The moments feed, as documents: a post read again keeps the seq it was given. */
export function momentSource(feed: MomentsFeed, index: SearchIndex): FeedSource {
  return {
    prefix: 'moments:',
    // ListMomentsForIndex takes at most 1 000 (and each page's posts are numbered from the index).
    maxRead: 1000,
    async read(after, until, limit) {
      const page = await feed.listMomentsForIndex({ afterCursor: after, untilCursor: until, limit });
      const posts = page.moments.filter((m) => m.text.trim() !== '');
      const known = await index.keysOfIds(
        MOMENT_TYPE,
        posts.map((m) => m.id),
      );
      const fresh = posts.filter((m) => !known.has(m.id));
      const docs = fresh.map((m) => ({ ...m, rangeId: m.authorId }));
      return postPage(
        index,
        MOMENT_TYPE,
        { posts: docs, all: page.moments, nextCursor: page.nextCursor },
        [],
      );
    },
  };
}

/** Searching the posts a caller may see. */
export class MomentSearch {
  constructor(
    private readonly d: {
      index: SearchIndex;
      friends: Friends;
      moments: MomentsCheck;
    },
  ) {}

  async search(
    caller: Caller,
    requestId: string,
    input: { query: string; limit: number; after?: HitCursor },
  ): Promise<Page<pb.MomentHit>> {
    const q = parseQuery(input.query);
    const opts = { headers: callHeaders({ caller, requestId }) };
    const graph = await this.d.friends.getFriendGraph({ userId: caller.userId }, opts);
    const authors = [caller.userId, ...graph.friends.map((f) => f.userId)];
    const scope = {
      windows: authors.map((convId) => ({ convId, firstSeq: 0 })),
      types: [MOMENT_TYPE],
    };
    const out: IndexDoc[] = [];
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
        const r = await this.d.moments.filterVisibleMoments(
          { viewerId: caller.userId, momentIds: texts.map((d) => d.msgId) },
          opts,
        );
        const visible = new Set(r.visibleIds);
        out.push(...texts.filter((d) => visible.has(d.msgId)));
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
      items: items.map((d) => {
        const s = snippet(q, d.text);
        return create(pb.MomentHitSchema, {
          momentId: d.msgId,
          authorId: d.senderId,
          createdAt: timestampFromMs(d.createdAt),
          snippet: s.text,
          highlights: s.ranges.map(([start, end]) => ({ start, end })),
        });
      }),
      ...(out.length > input.limit && last && { next: last }),
    };
  }
}
