import { create } from '@bufbuild/protobuf';
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import { moments as pb } from '@mychat/protocol';
import type { Person } from './moments.peers.js';
import type { PostRow, StoredMedia } from './moments.repository.js';
import type { CommentRow, LikeRow, NoticeRow } from './moments.social.repository.js';
import type { Access } from './moments.visibility.js';

/**
 * The message of a row, made once per row object: rows kept between reads (moments.post-parts.ts,
 * moments.profiles.ts) are answered with the same messages every time. Messages are never
 * changed after they are made, so answers may share them.
 */
function memo<R extends object, M>(make: (r: R) => M): (r: R) => M {
  const made = new WeakMap<R, M>();
  return (r) => {
    let m = made.get(r);
    if (m === undefined) made.set(r, (m = make(r)));
    return m;
  };
}

export const mediaMsg = memo((m: StoredMedia): pb.MomentMedia =>
  create(pb.MomentMediaSchema, {
    mediaId: m.id,
    kind: m.kind,
    mime: m.mime,
    size: String(m.size),
    width: m.width,
    height: m.height,
    durationMs: m.durationMs,
    placeholder: m.placeholder,
    hasThumbnail: m.thumb,
    hasPoster: m.poster,
  }),
);

export const personMsg = memo((p: Person): pb.MomentUser =>
  create(pb.MomentUserSchema, { id: p.id, nickname: p.nickname, avatarUrl: p.avatarUrl, remark: p.remark }),
);

export const likeMsg = memo((l: LikeRow): pb.MomentLike =>
  create(pb.MomentLikeSchema, { userId: l.userId, createdAt: timestampFromMs(l.createdAt) }),
);

export const commentMsg = memo((c: CommentRow): pb.MomentComment =>
  create(pb.MomentCommentSchema, {
    id: c.id,
    momentId: c.momentId,
    authorId: c.authorId,
    text: c.text,
    replyToCommentId: c.replyToCommentId ?? '',
    replyToUserId: c.replyToUserId ?? '',
    createdAt: timestampFromMs(c.createdAt),
  }),
);

/** A post as one viewer sees it: the audience and the full mention list only for its author. */
export function momentMsg(
  p: PostRow,
  view: {
    viewerId: string;
    access: Access;
    list: ReadonlySet<string> | undefined;
    likes: LikeRow[];
    comments: CommentRow[];
  },
): pb.Moment {
  const own = view.access === 'own';
  return create(pb.MomentSchema, {
    id: p.id,
    authorId: p.authorId,
    text: p.text,
    media: p.media.map(mediaMsg),
    location: p.location,
    ...(p.linkUrl && { link: { url: p.linkUrl, title: p.linkTitle } }),
    ...(own && { visibility: { audience: p.audience, userIds: [...(view.list ?? [])], tagIds: p.tags } }),
    mentionUserIds: own ? p.mentions : p.mentions.filter((m) => m === view.viewerId),
    createdAt: timestampFromMs(p.createdAt),
    likes: view.likes.map(likeMsg),
    comments: view.comments.map(commentMsg),
    likedByMe: view.likes.some((l) => l.userId === view.viewerId),
    canInteract: own || view.access === 'friend',
  });
}

/** The start of a post's text for a notice line (at most 60 characters). */
const excerpt = (text: string) => {
  const chars = [...text];
  return chars.length > 60 ? `${chars.slice(0, 60).join('')}…` : text;
};

export function noticeMsg(n: NoticeRow, post: PostRow, comment: CommentRow | undefined, unread: boolean) {
  return create(pb.MomentNoticeSchema, {
    id: n.id,
    kind: n.kind,
    momentId: n.momentId,
    actorId: n.actorId,
    commentId: n.commentId ?? '',
    text: comment?.text ?? '',
    createdAt: timestampFromMs(n.createdAt),
    unread,
    momentText: excerpt(post.text),
    ...(post.media[0] && { momentMedia: mediaMsg(post.media[0]) }),
  });
}
