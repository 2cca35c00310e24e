import { moments } from '@mychat/protocol';
import type { PostRow } from './moments.repository.js';
import type { SettingsRow } from './moments.people.repository.js';

const { Audience, AlbumWindow, StrangerAccess } = moments;
const DAY = 86_400_000;

/** What strangers may see of an album: the newest posts shared with all friends. */
export const STRANGER_POSTS = 10;

/** An author's settings as the rules read them (the defaults for someone who never set any). */
export interface AuthorRules {
  albumWindow: number;
  strangerAccess: number;
}

export const DEFAULT_RULES: AuthorRules = {
  albumWindow: AlbumWindow.ALL,
  strangerAccess: StrangerAccess.TEN,
};

export const rulesOf = (s: SettingsRow | undefined): AuthorRules =>
  s ? { albumWindow: s.albumWindow, strangerAccess: s.strangerAccess } : DEFAULT_RULES;

/** How a viewer stands to everyone: one friend-graph lookup and two filter lookups per read. */
export interface Circle {
  viewerId: string;
  /** Friends (block relations left out), with when each friendship began. */
  friends: Map<string, number>;
  /** Of the people asked about, those in a block relation with the viewer either way. */
  blocked: Set<string>;
  /** Authors who hide their posts from the viewer (不让他看). */
  hiddenBy: Set<string>;
  /** Authors the viewer does not want in their feed (不看他). */
  muted: Set<string>;
}

/** The oldest creation time the album window lets friends (and strangers) see. */
export function windowStart(rules: AuthorRules, now: number): number {
  switch (rules.albumWindow) {
    case AlbumWindow.SIX_MONTHS:
      return now - 183 * DAY;
    case AlbumWindow.ONE_MONTH:
      return now - 30 * DAY;
    case AlbumWindow.THREE_DAYS:
      return now - 3 * DAY;
    default:
      return 0;
  }
}

/** Whether the post's audience includes this friend of the author. */
export function audienceIncludes(
  post: PostRow,
  list: ReadonlySet<string> | undefined,
  friendId: string,
): boolean {
  switch (post.audience) {
    case Audience.PRIVATE:
      return false;
    case Audience.ONLY:
      return list?.has(friendId) ?? false;
    case Audience.EXCEPT:
      return !(list?.has(friendId) ?? false);
    default:
      return true;
  }
}

/**
 * How the viewer may see a post, decided from the state now (never from what was true when
 * it was written): `own` posts always; a friend (no block either way, not hidden from them)
 * posts in the audience and the album window; a stranger, when the author allows it, only the
 * newest posts shared with all friends in the window (`strangerIds`, read only); else `none`.
 */
export type Access = 'own' | 'friend' | 'stranger' | 'none';

export function accessTo(
  post: PostRow,
  list: ReadonlySet<string> | undefined,
  circle: Circle,
  rules: AuthorRules,
  now: number,
  strangerIds?: ReadonlySet<string>,
): Access {
  const author = post.authorId;
  if (author === circle.viewerId) return 'own';
  if (circle.blocked.has(author) || circle.hiddenBy.has(author)) return 'none';
  if (post.createdAt < windowStart(rules, now)) return 'none';
  if (circle.friends.has(author)) return audienceIncludes(post, list, circle.viewerId) ? 'friend' : 'none';
  if (
    rules.strangerAccess !== StrangerAccess.NONE &&
    post.audience === Audience.FRIENDS &&
    strangerIds?.has(post.id)
  )
    return 'stranger';
  return 'none';
}

/**
 * WeChat's rule for likes and comments (replies included): the viewer sees one when its author
 * is the viewer, the post's author, or a friend of the viewer; the post's author sees all.
 */
export function interactionVisible(actorId: string, post: PostRow, circle: Circle): boolean {
  const v = circle.viewerId;
  return v === post.authorId || actorId === v || actorId === post.authorId || circle.friends.has(actorId);
}
