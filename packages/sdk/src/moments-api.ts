import { timestampMs } from '@bufbuild/protobuf/wkt';
import type { Client } from '@connectrpc/connect';
import { media, type moments as pb } from '@mychat/protocol';
import type { Authed } from './chat-backend.js';
import { MyChatError } from './errors.js';
import { Emitter } from './events.js';
import type { MediaVariant } from './media-api.js';
import {
  AUDIENCES,
  STRANGERS,
  toComment,
  toLike,
  toMoment,
  toMomentMedia,
  toNotice,
  toSettings,
  toUsers,
  WINDOWS,
  type AlbumPage,
  type AlbumWindow,
  type Audience,
  type Moment,
  type MomentComment,
  type MomentHint,
  type MomentLike,
  type MomentNotice,
  type MomentPage,
  type MomentsBadge,
  type MomentSettings,
  type MomentUsers,
  type NoticePage,
  type StrangerAccess,
} from './moments-types.js';
import { randomId } from './random-id.js';

/** What to post. A post needs text, images or a video. */
export interface PublishOptions {
  /** At most 2 000 characters. */
  text?: string;
  /** 0-9 media ids of the user's own ready images (`client.media.upload(blob, {kind: 'image'})`). */
  images?: string[];
  /** One media id of the user's own ready video, instead of images. */
  video?: string;
  /** At most 100 characters. */
  location?: string;
  /** An http(s) URL (at most 2 048 characters) and a title (at most 200). */
  link?: { url: string; title?: string };
  /** Default 'friends'. */
  audience?: Audience;
  /** 'only' and 'except': the friends listed (at most 500 with the tags' members). */
  userIds?: string[];
  /** 'only' and 'except': friend tags (contacts.tags()) whose members when posting join the list. */
  tagIds?: string[];
  /** "Remind who": at most 10 friends who may see the post; each gets a notice. */
  mentions?: string[];
  /** The id that makes a retry safe; one is made when not given. */
  clientId?: string;
}

/** A settings change: only what is given changes. */
export interface SettingsChange {
  albumWindow?: AlbumWindow;
  strangerAccess?: StrangerAccess;
  /** A media id of the user's own image for the album cover; null removes it. */
  cover?: string | null;
  /** "Don't let them see my moments". */
  hideFrom?: { add?: string[]; remove?: string[] };
  /** "Don't show me theirs". */
  mute?: { add?: string[]; remove?: string[] };
}

export interface MomentsEvents extends Record<string, unknown[]> {
  /** A friend posted a moment the user may see (only while connected): show the red dot. */
  hint: [hint: MomentHint];
  /** A new like, comment, reply or reminder for the user (only while connected). */
  notice: [notice: MomentNotice, users: MomentUsers, unreadCount: number];
  /** The badge changed (a hint or notice came, the feed or the notices were read). */
  badge: [badge: MomentsBadge];
}

const VARIANTS: Record<MediaVariant, media.MediaVariant> = {
  original: media.MediaVariant.ORIGINAL,
  thumbnail: media.MediaVariant.THUMBNAIL,
  poster: media.MediaVariant.POSTER,
};

const page = (r: { moments: pb.Moment[]; users: pb.MomentUser[]; nextCursor: string }): MomentPage => ({
  moments: r.moments.map(toMoment),
  users: toUsers(r.users),
  ...(r.nextCursor && { nextCursor: r.nextCursor }),
});

/**
 * Moments (朋友圈): posting, the feed, albums, likes, comments, notices and settings.
 * Failures reject with MyChatError (`reason` e.g. MOMENT_EMPTY, NOT_FOUND). Subscribe to
 * `hint`, `notice` and `badge` with `client.moments.on(...)`; they come while connected.
 */
export class MomentsApi extends Emitter<MomentsEvents> {
  private state: MomentsBadge = { newPosts: false, latestAuthorAvatarUrl: '', unreadNotices: 0 };

  /** @internal */
  constructor(
    private readonly rpc: Client<typeof pb.MomentsService>,
    private readonly authed: Authed,
    private readonly baseUrl: string,
  ) {
    super();
  }

  /** The red dot and the notice count, as the SDK knows them now. */
  get badge(): MomentsBadge {
    return { ...this.state };
  }

  /** Posts a moment; resolves with it as the author sees it (`duplicate`: a retry of an earlier one). */
  async publish(o: PublishOptions): Promise<{ moment: Moment; duplicate: boolean }> {
    const r = await this.authed((h) =>
      this.rpc.publishMoment(
        {
          text: o.text ?? '',
          imageIds: o.images ?? [],
          videoId: o.video ?? '',
          location: o.location ?? '',
          ...(o.link && { link: { url: o.link.url, title: o.link.title ?? '' } }),
          visibility: {
            audience: AUDIENCES[o.audience ?? 'friends'],
            userIds: o.userIds ?? [],
            tagIds: o.tagIds ?? [],
          },
          mentionUserIds: o.mentions ?? [],
          clientId: o.clientId ?? randomId(),
        },
        h,
      ),
    );
    if (!r.moment) throw new MyChatError('the server sent no moment', 'UNKNOWN');
    return { moment: toMoment(r.moment), duplicate: r.duplicate };
  }

  /** Deletes one's own post with its likes, comments and notices. */
  async delete(momentId: string): Promise<void> {
    await this.authed((h) => this.rpc.deleteMoment({ momentId }, h));
  }

  /** One post, if the user may see it (NOT_FOUND otherwise). */
  async get(momentId: string): Promise<{ moment: Moment; users: MomentUsers }> {
    const r = await this.authed((h) => this.rpc.getMoment({ momentId }, h));
    if (!r.moment) throw new MyChatError('the server sent no moment', 'UNKNOWN');
    return { moment: toMoment(r.moment), users: toUsers(r.users) };
  }

  /**
   * The feed, newest first: the user's own posts and their friends' they may see. Pass the
   * previous page's `nextCursor` for older ones. Fetching the first page clears `newPosts`.
   */
  async timeline(opts: { cursor?: string; limit?: number } = {}): Promise<MomentPage> {
    const r = await this.authed((h) =>
      this.rpc.getTimeline({ cursor: opts.cursor ?? '', limit: opts.limit ?? 0 }, h),
    );
    if (!opts.cursor && this.state.newPosts) this.update({ newPosts: false });
    return page(r);
  }

  /** One person's album page as the user may see it (their own: everything). */
  async album(userId: string, opts: { cursor?: string; limit?: number } = {}): Promise<AlbumPage> {
    const r = await this.authed((h) =>
      this.rpc.getAlbum({ userId, cursor: opts.cursor ?? '', limit: opts.limit ?? 0 }, h),
    );
    return { ...page(r), ...(r.cover && { cover: toMomentMedia(r.cover) }), strangerView: r.strangerView };
  }

  /** Likes a post (MOMENT_ALREADY_LIKED when the user already does). */
  async like(momentId: string): Promise<MomentLike> {
    const r = await this.authed((h) => this.rpc.likeMoment({ momentId }, h));
    if (!r.like) throw new MyChatError('the server sent no like', 'UNKNOWN');
    return toLike(r.like);
  }

  async unlike(momentId: string): Promise<void> {
    await this.authed((h) => this.rpc.unlikeMoment({ momentId }, h));
  }

  /** Comments (1-1 000 characters), or replies to a comment the user can see. */
  async comment(
    momentId: string,
    text: string,
    opts: { replyTo?: string } = {},
  ): Promise<{ comment: MomentComment; users: MomentUsers }> {
    const r = await this.authed((h) =>
      this.rpc.commentMoment({ momentId, text, replyToCommentId: opts.replyTo ?? '' }, h),
    );
    if (!r.comment) throw new MyChatError('the server sent no comment', 'UNKNOWN');
    return { comment: toComment(r.comment), users: toUsers(r.users) };
  }

  /** Deletes a comment: one's own, or any on one's own post. */
  async deleteComment(commentId: string): Promise<void> {
    await this.authed((h) => this.rpc.deleteComment({ commentId }, h));
  }

  /** Likes, comments, replies and reminders for the user, newest first; `markRead` clears the count. */
  async notices(opts: { cursor?: string; limit?: number; markRead?: boolean } = {}): Promise<NoticePage> {
    const r = await this.authed((h) =>
      this.rpc.listMomentNotices(
        { cursor: opts.cursor ?? '', limit: opts.limit ?? 0, markRead: opts.markRead ?? false },
        h,
      ),
    );
    this.update({ unreadNotices: opts.markRead ? 0 : r.unreadCount });
    return {
      notices: r.notices.map(toNotice),
      users: toUsers(r.users),
      ...(r.nextCursor && { nextCursor: r.nextCursor }),
      unreadCount: r.unreadCount,
    };
  }

  async settings(): Promise<MomentSettings> {
    const r = await this.authed((h) => this.rpc.getMomentSettings({}, h));
    return toSettings(r.settings);
  }

  async updateSettings(c: SettingsChange): Promise<MomentSettings> {
    const r = await this.authed((h) =>
      this.rpc.updateMomentSettings(
        {
          ...(c.albumWindow && { albumWindow: WINDOWS[c.albumWindow] }),
          ...(c.strangerAccess && { strangerAccess: STRANGERS[c.strangerAccess] }),
          ...(c.cover !== undefined && { coverMediaId: c.cover ?? '' }),
          hideFromAdd: c.hideFrom?.add ?? [],
          hideFromRemove: c.hideFrom?.remove ?? [],
          muteAdd: c.mute?.add ?? [],
          muteRemove: c.mute?.remove ?? [],
        },
        h,
      ),
    );
    return toSettings(r.settings);
  }

  /** "Don't let them see my moments" on or off for one person. */
  hideFrom(userId: string, hidden: boolean): Promise<MomentSettings> {
    return this.updateSettings({ hideFrom: hidden ? { add: [userId] } : { remove: [userId] } });
  }

  /** "Don't show me theirs" on or off for one person. */
  mute(userId: string, muted: boolean): Promise<MomentSettings> {
    return this.updateSettings({ mute: muted ? { add: [userId] } : { remove: [userId] } });
  }

  /** A short-lived URL for a file of a post the user may see (NOT_FOUND otherwise). */
  mediaUrl(
    momentId: string,
    mediaId: string,
    opts: { variant?: MediaVariant; download?: boolean } = {},
  ): Promise<{ url: string; expiresAt: number }> {
    return this.url({ momentId, mediaId, coverUserId: '' }, opts);
  }

  /** A short-lived URL for a person's album cover. */
  coverUrl(
    userId: string,
    mediaId: string,
    opts: { variant?: MediaVariant } = {},
  ): Promise<{ url: string; expiresAt: number }> {
    return this.url({ momentId: '', mediaId, coverUserId: userId }, opts);
  }

  /** A frame the socket pushed. @internal */
  pushed(
    body:
      { case: 'momentHint'; value: pb.MomentHint } | { case: 'momentNotice'; value: pb.MomentNoticeEvent },
  ) {
    if (body.case === 'momentHint') {
      const hint = {
        momentId: body.value.momentId,
        authorId: body.value.authorId,
        authorAvatarUrl: body.value.authorAvatarUrl,
      };
      this.update({ newPosts: true, latestAuthorAvatarUrl: hint.authorAvatarUrl });
      this.emit('hint', hint);
      return;
    }
    const ev = body.value;
    if (!ev.notice) return;
    this.update({ unreadNotices: ev.unreadCount });
    this.emit('notice', toNotice(ev.notice), toUsers(ev.users), ev.unreadCount);
  }

  private async url(
    req: { momentId: string; mediaId: string; coverUserId: string },
    opts: { variant?: MediaVariant; download?: boolean },
  ): Promise<{ url: string; expiresAt: number }> {
    const r = await this.authed((h) =>
      this.rpc.getMomentMediaUrl(
        { ...req, variant: VARIANTS[opts.variant ?? 'original'], download: opts.download ?? false },
        h,
      ),
    );
    return {
      url: new URL(r.url, this.baseUrl + '/').toString(),
      expiresAt: r.expiresAt ? timestampMs(r.expiresAt) : 0,
    };
  }

  private update(change: Partial<MomentsBadge>): void {
    const next = { ...this.state, ...change };
    if (
      next.newPosts === this.state.newPosts &&
      next.latestAuthorAvatarUrl === this.state.latestAuthorAvatarUrl &&
      next.unreadNotices === this.state.unreadNotices
    )
      return;
    this.state = next;
    this.emit('badge', this.badge);
  }
}
