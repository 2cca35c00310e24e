import { create } from '@bufbuild/protobuf';
import { square as pb } from '@mychat/protocol';
import type { Clock } from '../../kernel/clock.js';
import type { Access } from './square.access.js';
import type { Actor, Contacts, SquareMedia } from './square.peers.js';
import { decodeCursor, encodeCursor } from './square.ranking.js';
import type { PostRow, SquareStore, ThreadRow, ThreadSortKey } from './square.repository.js';
import { marks } from './square.standing.js';
import { excerpt, LIMITS } from './square.validation.js';
import { boardMsg, postMsg, threadMsg, userMsg } from './square.views.js';

const SORTS: Record<number, ThreadSortKey> = {
  [pb.ThreadSort.UNSPECIFIED]: 'latest',
  [pb.ThreadSort.LATEST_REPLY]: 'latest',
  [pb.ThreadSort.HOT]: 'hot',
  [pb.ThreadSort.NEW]: 'new',
};

export const sortOf = (raw: number): ThreadSortKey | undefined => SORTS[raw];

const keyOf = (t: ThreadRow, sort: ThreadSortKey) =>
  sort === 'latest' ? t.lastReplyAt : sort === 'hot' ? t.hot : 0;

/** Reading the square: boards, a board's threads, a thread's posts. Pull-based, no fan-out. */
export class Reader {
  constructor(
    private readonly d: {
      store: SquareStore;
      access: Access;
      contacts: Contacts;
      media: SquareMedia;
      clock: Clock;
    },
  ) {}

  async boards(actor: Actor): Promise<pb.ListBoardsResponse> {
    const views = await this.d.access.boards(actor);
    const now = this.d.clock.now();
    return create(pb.ListBoardsResponseSchema, {
      boards: views.map((v) => boardMsg(v, now)),
      isAdmin: await this.d.access.isAdmin(actor.userId),
    });
  }

  async threads(actor: Actor, boardId: string, sort: ThreadSortKey, cursor: string, limit: number) {
    const view = await this.d.access.board(actor, boardId);
    const after = decodeCursor(cursor);
    const pinned = after ? [] : await this.d.store.pinned(boardId, sort);
    const rows = await this.d.store.page(boardId, sort, after, limit + 1);
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    const all = [...pinned, ...page];
    const [following, people] = await Promise.all([
      this.d.store.social.following(
        actor.userId,
        all.map((t) => t.id),
      ),
      this.d.contacts.people(
        actor.userId,
        all.map((t) => t.authorId),
        actor.requestId,
      ),
    ]);
    return create(pb.ListThreadsResponseSchema, {
      threads: all.map((t) => threadMsg(t, following.has(t.id))),
      nextCursor: rows.length > limit && last ? encodeCursor({ key: keyOf(last, sort), id: last.id }) : '',
      board: boardMsg(view, this.d.clock.now()),
      users: [...people.values()].map(userMsg),
    });
  }

  async thread(actor: Actor, threadId: string, cursor: string, limit: number, withHistory: boolean) {
    const { thread, view } = await this.d.access.thread(actor, threadId);
    const from = decodeCursor(cursor)?.key ?? 0;
    const rows = await this.d.store.posts(threadId, from, limit + 1);
    const page = rows.slice(0, limit);
    const ids = page.map((p) => p.id);
    const quoteIds = [...new Set(page.map((p) => p.quotePostId).filter(Boolean))];
    const [{ liked, following }, quotes, history] = await Promise.all([
      marks(this.d.store.db, actor.userId, threadId, ids),
      this.d.store.postsByIds(quoteIds),
      withHistory
        ? this.d.store.social.edits(page.filter((p) => p.editedAt > 0).map((p) => p.id))
        : undefined,
    ]);
    const names = new Set<string>();
    for (const p of page) {
      names.add(p.authorId);
      if (!p.removed) for (const m of p.mentions) names.add(m);
    }
    for (const q of quotes.values()) names.add(q.authorId);
    const [people, media] = await Promise.all([
      this.d.contacts.people(actor.userId, names, actor.requestId),
      Promise.all(page.map((p) => this.files(actor, p))),
    ]);
    const next = rows.length > limit ? rows[limit] : undefined;
    return create(pb.GetThreadResponseSchema, {
      thread: threadMsg(thread, following),
      posts: page.map((p, i) => {
        const q = p.quotePostId ? quotes.get(p.quotePostId) : undefined;
        return postMsg(p, {
          liked: liked.has(p.id),
          quote: q && {
            authorId: q.authorId,
            excerpt: q.removed ? '' : excerpt(q.body, LIMITS.quoteExcerpt),
          },
          history: history?.get(p.id),
          media: media[i],
        });
      }),
      nextCursor: next ? encodeCursor({ key: next.floor, id: next.id }) : '',
      board: boardMsg(view, this.d.clock.now()),
      canModerate: view.moderator,
      users: [...people.values()].map(userMsg),
    });
  }

  /** A post's files with short-lived URLs (the caller may see the thread: checked above). */
  private async files(actor: Actor, p: PostRow): Promise<pb.SquareMedia[]> {
    if (p.removed || p.media.length === 0) return [];
    return Promise.all(
      p.media.map(async (m) => {
        const [url, fullUrl] = await Promise.all([
          this.d.media.sign(p.authorId, p.id, m, true, actor.requestId),
          this.d.media.sign(p.authorId, p.id, m, false, actor.requestId),
        ]);
        return create(pb.SquareMediaSchema, {
          mediaId: m.id,
          kind: m.kind,
          mime: m.mime,
          width: m.width,
          height: m.height,
          placeholder: m.placeholder,
          hasThumbnail: m.thumb,
          url,
          fullUrl,
        });
      }),
    );
  }
}
