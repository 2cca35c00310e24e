import { media, moments as pb } from '@mychat/protocol';
import { ms } from './mappers.js';

/** Who may see a post: all friends, only the author, only the listed friends, all but the listed. */
export type Audience = 'friends' | 'private' | 'only' | 'except';
/** How far back friends (and strangers) may look at one's posts; the author always sees all. */
export type AlbumWindow = 'all' | 'sixMonths' | 'oneMonth' | 'threeDays';
/** What people who are not friends see of one's album: the 10 newest public posts, or nothing. */
export type StrangerAccess = 'ten' | 'none';
export type NoticeKind = 'like' | 'comment' | 'reply' | 'mention';

/** A file of a post (or a cover). Fetch it with `client.moments.mediaUrl` (or `coverUrl`). */
export interface MomentMedia {
  mediaId: string;
  kind: 'image' | 'video';
  mime: string;
  size: number;
  width: number;
  height: number;
  /** Videos. */
  durationMs: number;
  /** A tiny data: URL to show until the thumbnail (images) or poster (videos) loads. */
  placeholder: string;
  hasThumbnail: boolean;
  hasPoster: boolean;
}

/** A person an answer names, as the caller sees them. */
export interface MomentUser {
  id: string;
  nickname: string;
  avatarUrl: string;
  /** The caller's private name for this friend ('' when none). */
  remark: string;
  /** What to show: the remark, else the nickname. */
  name: string;
}

export interface MomentLike {
  userId: string;
  /** Epoch ms. */
  createdAt: number;
}

export interface MomentComment {
  id: string;
  momentId: string;
  authorId: string;
  text: string;
  /** A reply ("A 回复 B"): the comment answered and its author. */
  replyToCommentId?: string;
  replyToUserId?: string;
  createdAt: number;
}

export interface Moment {
  id: string;
  authorId: string;
  text: string;
  /** 0-9 images, or one video. */
  media: MomentMedia[];
  location: string;
  link?: { url: string; title: string };
  /** The author's own view only: who may see it. */
  visibility?: { audience: Audience; userIds: string[]; tagIds: string[] };
  /** The author sees everyone reminded; anyone else only themselves, when reminded. */
  mentionUserIds: string[];
  createdAt: number;
  /** Only those the caller may see (by the caller, the author, or a friend of the caller), oldest first. */
  likes: MomentLike[];
  comments: MomentComment[];
  likedByMe: boolean;
  /** False in a stranger's view: read only. */
  canInteract: boolean;
}

/** Everyone a page names, by id. */
export type MomentUsers = Record<string, MomentUser>;

export interface MomentPage {
  moments: Moment[];
  users: MomentUsers;
  /** Pass it back for older posts; undefined when there are none. */
  nextCursor?: string;
}

export interface AlbumPage extends MomentPage {
  /** The owner's cover image (`coverUrl` fetches it). */
  cover?: MomentMedia;
  /** The caller is not the owner's friend: at most 10 posts, read only. */
  strangerView: boolean;
}

export interface MomentNotice {
  id: string;
  kind: NoticeKind;
  momentId: string;
  actorId: string;
  /** Comments and replies. */
  commentId?: string;
  text: string;
  createdAt: number;
  unread: boolean;
  /** The start of the post's text, and its first file, for the notice line. */
  momentText: string;
  momentMedia?: MomentMedia;
}

export interface NoticePage {
  notices: MomentNotice[];
  users: MomentUsers;
  nextCursor?: string;
  /** Unread before this call marked any read. */
  unreadCount: number;
}

export interface MomentSettings {
  albumWindow: AlbumWindow;
  strangerAccess: StrangerAccess;
  cover?: MomentMedia;
  /** "Don't let them see my moments" (不让他看). */
  hideFrom: string[];
  /** "Don't show me theirs" (不看他): kept out of the feed, not off their album. */
  muted: string[];
}

/** A friend posted a moment the user may see: the red dot on Discover, with their avatar. */
export interface MomentHint {
  momentId: string;
  authorId: string;
  authorAvatarUrl: string;
}

/** The badge state the SDK keeps from hints and notices (and resets as the feed and notices are read). */
export interface MomentsBadge {
  /** A hint came since the first page of the feed was last fetched. */
  newPosts: boolean;
  /** The avatar of the newest post's author (for the red dot), '' when none. */
  latestAuthorAvatarUrl: string;
  /** Unread notices, as the server last told. */
  unreadNotices: number;
}

const A = pb.Audience;
export const AUDIENCES: Record<Audience, pb.Audience> = {
  friends: A.FRIENDS,
  private: A.PRIVATE,
  only: A.ONLY,
  except: A.EXCEPT,
};
const W = pb.AlbumWindow;
export const WINDOWS: Record<AlbumWindow, pb.AlbumWindow> = {
  all: W.ALL,
  sixMonths: W.SIX_MONTHS,
  oneMonth: W.ONE_MONTH,
  threeDays: W.THREE_DAYS,
};
export const STRANGERS: Record<StrangerAccess, pb.StrangerAccess> = {
  ten: pb.StrangerAccess.TEN,
  none: pb.StrangerAccess.NONE,
};
const NOTICE_KINDS: Record<number, NoticeKind> = {
  [pb.NoticeKind.LIKE]: 'like',
  [pb.NoticeKind.COMMENT]: 'comment',
  [pb.NoticeKind.REPLY]: 'reply',
  [pb.NoticeKind.MENTION]: 'mention',
};
const reverse = <K extends string>(m: Record<K, number>) =>
  Object.fromEntries(Object.entries(m).map(([k, v]) => [v, k])) as Record<number, K>;
const AUDIENCE_OF = reverse(AUDIENCES);
const WINDOW_OF = reverse(WINDOWS);
const STRANGER_OF = reverse(STRANGERS);

export const toMomentMedia = (m: pb.MomentMedia): MomentMedia => ({
  mediaId: m.mediaId,
  kind: m.kind === media.MediaKind.VIDEO ? 'video' : 'image',
  mime: m.mime,
  size: Number(m.size),
  width: m.width,
  height: m.height,
  durationMs: m.durationMs,
  placeholder: m.placeholder,
  hasThumbnail: m.hasThumbnail,
  hasPoster: m.hasPoster,
});

export function toUsers(list: readonly pb.MomentUser[]): MomentUsers {
  const out: MomentUsers = {};
  for (const u of list)
    out[u.id] = {
      id: u.id,
      nickname: u.nickname,
      avatarUrl: u.avatarUrl,
      remark: u.remark,
      name: u.remark || u.nickname,
    };
  return out;
}

export const toComment = (c: pb.MomentComment): MomentComment => ({
  id: c.id,
  momentId: c.momentId,
  authorId: c.authorId,
  text: c.text,
  ...(c.replyToCommentId && { replyToCommentId: c.replyToCommentId, replyToUserId: c.replyToUserId }),
  createdAt: ms(c.createdAt),
});

export const toLike = (l: pb.MomentLike): MomentLike => ({ userId: l.userId, createdAt: ms(l.createdAt) });

export function toMoment(m: pb.Moment): Moment {
  return {
    id: m.id,
    authorId: m.authorId,
    text: m.text,
    media: m.media.map(toMomentMedia),
    location: m.location,
    ...(m.link && { link: { url: m.link.url, title: m.link.title } }),
    ...(m.visibility && {
      visibility: {
        audience: AUDIENCE_OF[m.visibility.audience] ?? 'friends',
        userIds: m.visibility.userIds,
        tagIds: m.visibility.tagIds,
      },
    }),
    mentionUserIds: m.mentionUserIds,
    createdAt: ms(m.createdAt),
    likes: m.likes.map(toLike),
    comments: m.comments.map(toComment),
    likedByMe: m.likedByMe,
    canInteract: m.canInteract,
  };
}

export const toNotice = (n: pb.MomentNotice): MomentNotice => ({
  id: n.id,
  kind: NOTICE_KINDS[n.kind] ?? 'comment',
  momentId: n.momentId,
  actorId: n.actorId,
  ...(n.commentId && { commentId: n.commentId }),
  text: n.text,
  createdAt: ms(n.createdAt),
  unread: n.unread,
  momentText: n.momentText,
  ...(n.momentMedia && { momentMedia: toMomentMedia(n.momentMedia) }),
});

export const toSettings = (s: pb.MomentSettings | undefined): MomentSettings => ({
  albumWindow: (s && WINDOW_OF[s.albumWindow]) ?? 'all',
  strangerAccess: (s && STRANGER_OF[s.strangerAccess]) ?? 'ten',
  ...(s?.cover && { cover: toMomentMedia(s.cover) }),
  hideFrom: s?.hideFromUserIds ?? [],
  muted: s?.mutedUserIds ?? [],
});
