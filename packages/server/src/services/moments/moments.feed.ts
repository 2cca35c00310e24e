import { moments as pb } from '@mychat/protocol';
import type { Clock } from '../../kernel/clock.js';
import { errors } from '../../kernel/errors.js';
import type { Circles } from './moments.circles.js';
import type { Actor, Person } from './moments.peers.js';
import type { PostHead, PostPart, PostParts } from './moments.post-parts.js';
import type { Profiles } from './moments.profiles.js';
import type { MomentsStore, PostRow } from './moments.repository.js';
import { momentMsg, personMsg } from './moments.views.js';
import {
  accessTo,
  interactionVisible,
  rulesOf,
  STRANGER_POSTS,
  windowStart,
  type Access,
  type AuthorRules,
  type Circle,
} from './moments.visibility.js';

/** A post and how one viewer may see it. */
export interface Seen {
  post: PostRow;
  access: Access;
  /** The post's only/except list (read for the author's own view and the audience rule). */
  list: ReadonlySet<string> | undefined;
  /** The post with all its likes and comments, before the viewer's rule picks those they see. */
  part: PostPart;
}

export interface FeedDeps {
  store: MomentsStore;
  circles: Circles;
  parts: PostParts;
  profiles: Profiles;
  clock: Clock;
}

/** Audiences whose list of people is stored. */
export const LISTED = [pb.Audience.ONLY, pb.Audience.EXCEPT];
const notFound = () => errors.notFound('no such moment');

/**
 * Reading posts for a viewer: how they stand to everyone (their {@link Circle}), how they may
 * see each post, decided from the state now, and the answer with the likes and comments they
 * may see and everyone it names. Used by every read of the moments service.
 */
export class Feed {
  constructor(private readonly d: FeedDeps) {}

  /** The viewer's friends, blocks among `check`, who hides from them and whom they muted. */
  circle(actor: Actor, check: readonly string[] = []): Promise<Circle> {
    return this.d.circles.of(actor, check);
  }

  /**
   * People as the viewer sees them (nickname, avatar, the viewer's remark), from the profiles
   * kept per viewer (moments.profiles.ts): asked of contacts only for those not kept or changed.
   */
  people(actor: Actor, ids: Iterable<string>): Promise<Map<string, Person>> {
    return this.d.profiles.of(actor, ids);
  }

  async rules(authorIds: Iterable<string>): Promise<Map<string, AuthorRules>> {
    const ids = [...new Set(authorIds)];
    const stored = await this.d.store.people.settings(ids);
    return new Map(ids.map((id) => [id, rulesOf(stored.get(id))]));
  }

  /** The posts with their lists, likes and comments, by id. */
  parts(posts: readonly PostRow[]): Promise<Map<string, PostPart>> {
    return this.d.parts.of(posts);
  }

  /** The posts timeline pointers name, at the versions read with them (gone ones left out). */
  partsOfHeads(heads: readonly PostHead[]): Promise<Map<string, PostPart>> {
    return this.d.parts.ofHeads(heads);
  }

  /** How the viewer may see each post (in the order given). */
  async judge(posts: readonly PostRow[], circle: Circle, now: number): Promise<Seen[]> {
    if (posts.length === 0) return [];
    const parts = await this.parts(posts);
    return this.judgeParts(
      posts.map((p) => parts.get(p.id)!),
      circle,
      now,
    );
  }

  /** {@link judge} of posts read with their lists, likes and comments. */
  async judgeParts(parts: readonly PostPart[], circle: Circle, now: number): Promise<Seen[]> {
    if (parts.length === 0) return [];
    const posts = parts.map((p) => p.post);
    const rules = await this.rules(posts.map((p) => p.authorId));
    // Strangers see only the newest posts an author shares with all friends: which ones they
    // are is looked up per author, and only for authors who are neither the viewer nor a friend.
    const strangerIds = new Map<string, Set<string>>();
    for (const author of new Set(posts.map((p) => p.authorId))) {
      if (author === circle.viewerId || circle.friends.has(author)) continue;
      strangerIds.set(author, await this.strangerView(author, rules.get(author)!, now));
    }
    return parts.map((part) => {
      const { post, list } = part;
      const r = rules.get(post.authorId)!;
      const access = accessTo(post, list, circle, r, now, strangerIds.get(post.authorId));
      return { post, list, part, access };
    });
  }

  /** The ids of the posts a stranger may see of an author (none when the author allows none). */
  async strangerView(authorId: string, rules: AuthorRules, now: number): Promise<Set<string>> {
    if (rules.strangerAccess === pb.StrangerAccess.NONE) return new Set();
    const posts = await this.d.store.posts.newestShared(
      authorId,
      pb.Audience.FRIENDS,
      windowStart(rules, now),
      STRANGER_POSTS,
    );
    return new Set(posts.map((p) => p.id));
  }

  /** One post the viewer may see, with their circle; NOT_FOUND otherwise (as for no post). */
  async seen(actor: Actor, momentId: string): Promise<{ seen: Seen; circle: Circle }> {
    const post = await this.d.store.posts.get(momentId);
    if (!post) throw notFound();
    const circle = await this.circle(actor, [post.authorId]);
    const [seen] = await this.judge([post], circle, this.d.clock.now());
    if (!seen || seen.access === 'none') throw notFound();
    return { seen, circle };
  }

  /**
   * The answer for posts the viewer may see: each with the likes and comments WeChat's rule
   * lets them see, and everyone named (authors, likers, commenters, people replied to) as the
   * viewer sees them.
   */
  async present(
    actor: Actor,
    circle: Circle,
    seen: readonly Seen[],
  ): Promise<{ moments: pb.Moment[]; users: pb.MomentUser[] }> {
    const visible = seen.filter((s) => s.access !== 'none');
    const named = new Set<string>(visible.map((s) => s.post.authorId));
    const shown = visible.map((s) => {
      const likes = s.part.likes.filter((l) => interactionVisible(l.userId, s.post, circle));
      const comments = s.part.comments.filter((c) => interactionVisible(c.authorId, s.post, circle));
      for (const l of likes) named.add(l.userId);
      for (const c of comments) {
        named.add(c.authorId);
        if (c.replyToUserId) named.add(c.replyToUserId);
      }
      return { s, likes, comments };
    });
    // The viewer's friends are whom later pages name: kept with the first lookup.
    const people = await this.d.profiles.of(actor, named, circle.friends.keys());
    return {
      moments: shown.map(({ s, likes, comments }) =>
        momentMsg(s.post, { viewerId: actor.userId, access: s.access, list: s.list, likes, comments }),
      ),
      users: [...people.values()].map(personMsg),
    };
  }
}

/** Batches read per page at most: a page of posts mostly hidden from the viewer ends early. */
const MAX_ROUNDS = 5;
/** Rows the first batch reads beyond the page: most feeds show nearly every row they read. */
const FIRST_SLACK = 5;

/**
 * Reads rows newest first in batches and keeps the posts the viewer may see, until `limit`
 * are kept; the cursor continues after the last row read ("" when there is nothing older).
 * The first batch is the page and {@link FIRST_SLACK} more (each row read costs its post's
 * checks), later ones twice what is still missing, as hidden rows were met.
 */
export async function fillPage<R>(
  cursor: string,
  limit: number,
  fetch: (before: string, n: number) => Promise<R[]>,
  idOf: (r: R) => string,
  judge: (rows: R[]) => Promise<(Seen | undefined)[]>,
): Promise<{ seen: Seen[]; nextCursor: string }> {
  const seen: Seen[] = [];
  let before = cursor;
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const want = Math.min(100, round === 0 ? limit + FIRST_SLACK : (limit - seen.length) * 2 + 5);
    const rows = await fetch(before, want);
    const judged = await judge(rows);
    for (let i = 0; i < rows.length; i++) {
      before = idOf(rows[i]!);
      const s = judged[i];
      if (s && s.access !== 'none') seen.push(s);
      if (seen.length === limit)
        return { seen, nextCursor: i < rows.length - 1 || rows.length === want ? before : '' };
    }
    if (rows.length < want) return { seen, nextCursor: '' };
  }
  return { seen, nextCursor: before };
}
