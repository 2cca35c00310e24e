import type { MomentsStore, PostRow } from './moments.repository.js';
import type { CommentRow, LikeRow } from './moments.social.repository.js';

/**
 * What a post is for every viewer, before their own rules are applied: the row, its
 * only/except list, and all its likes and comments (oldest first).
 */
export interface PostPart {
  post: PostRow;
  list: ReadonlySet<string> | undefined;
  likes: LikeRow[];
  comments: CommentRow[];
}

/** A post as a timeline pointer names it: its id and the version read with the pointer. */
export interface PostHead {
  momentId: string;
  /** moments_posts.version, or null when the post is gone. */
  version: number | null;
}

/**
 * Each post's part kept between reads, keyed by the post's version. Posts never change after
 * they are written except for their likes and comments, and every change to those bumps the
 * version in the same transaction; a copy is built from what was read after its version was
 * read, so it holds that version's state or a newer one. A read that finds the version it
 * read in the database uses the copy; any other version (or a post that is gone) reads again.
 * Who may see the post, and which of its likes and comments, is decided on every read.
 */
export class PostParts {
  private readonly cache = new Map<string, PostPart>();

  constructor(
    private readonly d: {
      store: MomentsStore;
      /** Audiences whose list is stored (only/except). */
      listed: readonly number[];
      /** Posts kept at most (the least recently read go first); 0 keeps none. */
      maxEntries: number;
    },
  ) {}

  /** Parts of the posts as read (their versions as in the rows), by id. */
  async of(posts: readonly PostRow[]): Promise<Map<string, PostPart>> {
    const out = new Map<string, PostPart>();
    const missing: PostRow[] = [];
    for (const p of posts) {
      const hit = this.hit(p.id, p.version);
      if (hit) out.set(p.id, hit);
      else missing.push(p);
    }
    if (missing.length === 0) return out;
    const { store } = this.d;
    const ids = missing.map((p) => p.id);
    const [lists, likes, comments] = await Promise.all([
      store.posts.audiences(missing, this.d.listed),
      store.social.likesOf(ids),
      store.social.commentsOf(ids),
    ]);
    const parts = new Map(
      missing.map((post) => [
        post.id,
        { post, list: lists.get(post.id), likes: [], comments: [] } as PostPart,
      ]),
    );
    for (const l of likes) parts.get(l.momentId)?.likes.push(l);
    for (const c of comments) parts.get(c.momentId)?.comments.push(c);
    for (const part of parts.values()) {
      this.keep(part);
      out.set(part.post.id, part);
    }
    return out;
  }

  /**
   * Parts of the posts pointers name, at the versions read with them: kept copies, and the
   * rest read (a post deleted meanwhile is left out, as is one whose head says it is gone).
   */
  async ofHeads(heads: readonly PostHead[]): Promise<Map<string, PostPart>> {
    const out = new Map<string, PostPart>();
    const missing: string[] = [];
    for (const h of heads) {
      if (h.version === null) continue;
      const hit = this.hit(h.momentId, h.version);
      if (hit) out.set(h.momentId, hit);
      else missing.push(h.momentId);
    }
    if (missing.length === 0) return out;
    const rows = await this.d.store.posts.many(missing);
    for (const [id, part] of await this.of([...rows.values()])) out.set(id, part);
    return out;
  }

  private hit(id: string, version: number): PostPart | undefined {
    const hit = this.cache.get(id);
    if (!hit || hit.post.version !== version) return undefined;
    this.cache.delete(id);
    this.cache.set(id, hit);
    return hit;
  }

  private keep(part: PostPart): void {
    if (this.d.maxEntries === 0) return;
    this.cache.delete(part.post.id);
    this.cache.set(part.post.id, part);
    if (this.cache.size > this.d.maxEntries) this.cache.delete(this.cache.keys().next().value!);
  }
}
