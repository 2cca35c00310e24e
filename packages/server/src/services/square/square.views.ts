import { create } from '@bufbuild/protobuf';
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import { square as pb } from '@mychat/protocol';
import type { BoardView } from './square.access.js';
import type { Person } from './square.peers.js';
import type { PostRow, ThreadRow } from './square.repository.js';
import type { NoticeRow, ReportRow } from './square.social.repository.js';

const ts = (ms: number) => (ms > 0 ? timestampFromMs(ms) : undefined);

export function boardMsg(v: BoardView, now: number): pb.Board {
  const b = v.board;
  return create(pb.BoardSchema, {
    id: b.id,
    name: b.name,
    description: b.description,
    groupId: b.groupId,
    threadCount: b.threadCount,
    createdAt: ts(b.createdAt),
    canModerate: v.moderator,
    bannedUntil: v.bannedUntil > now ? ts(v.bannedUntil) : undefined,
  });
}

export function threadMsg(t: ThreadRow, following: boolean): pb.Thread {
  return create(pb.ThreadSchema, {
    id: t.id,
    boardId: t.boardId,
    authorId: t.authorId,
    title: t.title,
    excerpt: t.excerpt,
    replyCount: t.replyCount,
    likeCount: t.likeCount,
    hotScore: t.hot / 1e6,
    pinned: t.pinned,
    locked: t.locked,
    createdAt: ts(t.createdAt),
    lastReplyAt: ts(t.lastReplyAt),
    following,
  });
}

/** A post as shown: a removed post keeps its place but loses its text, files and mentions. */
export function postMsg(
  p: PostRow,
  extra: {
    liked: boolean;
    quote?: { authorId: string; excerpt: string };
    history?: { body: string; editedAt: number }[];
    media?: pb.SquareMedia[];
  },
): pb.Post {
  return create(pb.PostSchema, {
    id: p.id,
    threadId: p.threadId,
    authorId: p.authorId,
    body: p.removed ? '' : p.body,
    html: p.removed ? '' : p.html,
    quotePostId: p.quotePostId,
    quoteAuthorId: extra.quote?.authorId ?? '',
    quoteExcerpt: extra.quote?.excerpt ?? '',
    media: p.removed ? [] : (extra.media ?? []),
    mentionUserIds: p.removed ? [] : p.mentions,
    likeCount: p.likeCount,
    likedByMe: extra.liked,
    createdAt: ts(p.createdAt),
    editedAt: ts(p.editedAt),
    history: p.removed ? [] : (extra.history ?? []).map((h) => ({ body: h.body, editedAt: ts(h.editedAt) })),
    removed: p.removed,
    removedReason: p.removedReason,
    floor: p.floor,
  });
}

export function noticeMsg(n: NoticeRow, threadTitle: string): pb.SquareNotice {
  return create(pb.SquareNoticeSchema, {
    id: n.id,
    kind: n.kind,
    threadId: n.threadId,
    postId: n.postId,
    actorId: n.actorId,
    text: n.text,
    removed: n.removed,
    createdAt: ts(n.createdAt),
    threadTitle,
  });
}

export const userMsg = (p: Person): pb.SquareUser =>
  create(pb.SquareUserSchema, { id: p.id, nickname: p.nickname, avatarUrl: p.avatarUrl, remark: p.remark });

/** A report as the square's moderators and the operator's console read it. */
export const reportMsg = (r: ReportRow) => ({
  id: r.id,
  reporterId: r.reporterId,
  boardId: r.boardId,
  threadId: r.threadId,
  postId: r.postId,
  reason: r.reason,
  snapshot: r.snapshot,
  authorId: r.authorId,
  createdAt: timestampFromMs(r.createdAt),
});
