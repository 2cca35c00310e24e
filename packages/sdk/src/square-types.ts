import type { gateway, square as pb } from '@mychat/protocol';
import { ms } from './mappers.js';

/** A board of the square: public (`groupId` "") or a group's own (群论坛). */
export interface Board {
  id: string;
  name: string;
  description: string;
  groupId: string;
  threadCount: number;
  createdAt: number;
  /** The user moderates it (pin, lock, move, remove, ban, the report queue). */
  canModerate: boolean;
  /** Epoch ms until which the user may not post here; 0 when not banned. */
  bannedUntil: number;
}

export type ThreadSort = 'latest' | 'hot' | 'new';

export interface Thread {
  id: string;
  boardId: string;
  authorId: string;
  title: string;
  excerpt: string;
  replyCount: number;
  likeCount: number;
  hotScore: number;
  pinned: boolean;
  locked: boolean;
  createdAt: number;
  lastReplyAt: number;
  following: boolean;
}

export interface SquareImage {
  mediaId: string;
  mime: string;
  width: number;
  height: number;
  placeholder: string;
  /** Short-lived: the thumbnail (or the original) and the original. */
  url: string;
  fullUrl: string;
}

export interface Post {
  id: string;
  threadId: string;
  authorId: string;
  /** The Markdown source; never render it as HTML. */
  body: string;
  /** The server's sanitized rendering of `body`: safe to show as HTML. */
  html: string;
  quote?: { postId: string; authorId: string; excerpt: string };
  images: SquareImage[];
  mentionUserIds: string[];
  likeCount: number;
  likedByMe: boolean;
  createdAt: number;
  /** Set once edited ("edited" shown). */
  editedAt?: number;
  /** Earlier versions, oldest first (`thread(id, {withHistory: true})`). */
  history: { body: string; editedAt: number }[];
  removed: boolean;
  removedReason: string;
  /** 0 for the first post. */
  floor: number;
}

export interface SquareUser {
  id: string;
  nickname: string;
  avatarUrl: string;
  /** The user's own name for a friend ("" when none). */
  remark: string;
}

export type SquareUsers = Record<string, SquareUser>;

export type SquareNoticeKind = 'reply' | 'mention' | 'quote' | 'report-resolved' | 'post-removed';

export interface SquareNotice {
  id: string;
  kind: SquareNoticeKind;
  threadId: string;
  postId: string;
  actorId: string;
  /** The moderator's reason (report-resolved, post-removed). */
  text: string;
  /** report-resolved: whether the post was removed. */
  removed: boolean;
  createdAt: number;
  threadTitle: string;
}

export interface SquareReport {
  id: string;
  reporterId: string;
  boardId: string;
  threadId: string;
  postId: string;
  authorId: string;
  reason: string;
  /** The post's text when reported. */
  snapshot: string;
  createdAt: number;
}

// The enums' numbers (mychat.square.v1.ThreadSort, NoticeKind), written out so that these
// mappers do not load the square's generated code with the rest of the SDK.
export const SORTS: Record<ThreadSort, pb.ThreadSort> = {
  latest: 1 as pb.ThreadSort,
  hot: 2 as pb.ThreadSort,
  new: 3 as pb.ThreadSort,
};

const KINDS: Record<number, SquareNoticeKind> = {
  1: 'reply',
  2: 'mention',
  3: 'quote',
  4: 'report-resolved',
  5: 'post-removed',
};

export const toBoard = (b: pb.Board): Board => ({
  id: b.id,
  name: b.name,
  description: b.description,
  groupId: b.groupId,
  threadCount: b.threadCount,
  createdAt: ms(b.createdAt),
  canModerate: b.canModerate,
  bannedUntil: b.bannedUntil ? ms(b.bannedUntil) : 0,
});

export const toThread = (t: pb.Thread): Thread => ({
  id: t.id,
  boardId: t.boardId,
  authorId: t.authorId,
  title: t.title,
  excerpt: t.excerpt,
  replyCount: t.replyCount,
  likeCount: t.likeCount,
  hotScore: t.hotScore,
  pinned: t.pinned,
  locked: t.locked,
  createdAt: ms(t.createdAt),
  lastReplyAt: ms(t.lastReplyAt),
  following: t.following,
});

export const toPost = (p: pb.Post): Post => ({
  id: p.id,
  threadId: p.threadId,
  authorId: p.authorId,
  body: p.body,
  html: p.html,
  ...(p.quotePostId && {
    quote: { postId: p.quotePostId, authorId: p.quoteAuthorId, excerpt: p.quoteExcerpt },
  }),
  images: p.media.map((m) => ({
    mediaId: m.mediaId,
    mime: m.mime,
    width: m.width,
    height: m.height,
    placeholder: m.placeholder,
    url: m.url,
    fullUrl: m.fullUrl,
  })),
  mentionUserIds: p.mentionUserIds,
  likeCount: p.likeCount,
  likedByMe: p.likedByMe,
  createdAt: ms(p.createdAt),
  ...(p.editedAt && { editedAt: ms(p.editedAt) }),
  history: p.history.map((h) => ({ body: h.body, editedAt: ms(h.editedAt) })),
  removed: p.removed,
  removedReason: p.removedReason,
  floor: p.floor,
});

export const toSquareNotice = (n: pb.SquareNotice): SquareNotice => ({
  id: n.id,
  kind: KINDS[n.kind] ?? 'reply',
  threadId: n.threadId,
  postId: n.postId,
  actorId: n.actorId,
  text: n.text,
  removed: n.removed,
  createdAt: ms(n.createdAt),
  threadTitle: n.threadTitle,
});

export const toReport = (r: pb.Report): SquareReport => ({
  id: r.id,
  reporterId: r.reporterId,
  boardId: r.boardId,
  threadId: r.threadId,
  postId: r.postId,
  authorId: r.authorId,
  reason: r.reason,
  snapshot: r.snapshot,
  createdAt: ms(r.createdAt),
});

export const toSquareUsers = (list: pb.SquareUser[]): SquareUsers =>
  Object.fromEntries(
    list.map((u) => [u.id, { id: u.id, nickname: u.nickname, avatarUrl: u.avatarUrl, remark: u.remark }]),
  );

export const pushedNotice = (n: gateway.SquareNoticePush): SquareNotice => ({
  id: n.id,
  kind: KINDS[n.kind] ?? 'reply',
  threadId: n.threadId,
  postId: n.postId,
  actorId: n.actorId,
  text: n.text,
  removed: n.removed,
  createdAt: n.createdAtMs,
  threadTitle: n.threadTitle,
});
