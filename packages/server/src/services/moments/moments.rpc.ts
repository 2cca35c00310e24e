import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import type { HandlerContext, ServiceImpl } from '@connectrpc/connect';
import { media, moments as pb } from '@mychat/protocol';
import type { WindowLimit } from '../../adapters/kv/window-limit.js';
import { errors } from '../../kernel/errors.js';
import { parseId } from '../../kernel/ids.js';
import { callInfo, requireCaller } from '../../rpc/call-context.js';
import type { Interactions } from './moments.interactions.js';
import type { Notices } from './moments.notices.js';
import type { Actor } from './moments.peers.js';
import type { MomentsService } from './moments.service.js';
import type { MomentSettingsService } from './moments.settings.js';
import type { Timeline } from './moments.timeline.js';
import {
  LIMITS,
  parseCursor,
  parseEnum,
  parseIds,
  parseLimit,
  parsePublish,
  parseText,
} from './moments.validation.js';
import { mediaMsg } from './moments.views.js';

/** The authenticated caller and the request id of a public call. */
function actorOf(ctx: HandlerContext): Actor {
  const c = requireCaller(ctx);
  return { userId: c.userId, sessionId: c.sessionId, requestId: callInfo(ctx).requestId };
}

/** Per-person hourly limits of the writes that reach other people. */
export interface MomentLimits {
  posts: WindowLimit;
  comments: WindowLimit;
  likes: WindowLimit;
}

async function within(limit: WindowLimit, actor: Actor): Promise<void> {
  const wait = await limit.hit(actor.userId);
  if (wait !== undefined) throw errors.rateLimited(wait);
}

export interface MomentsParts {
  limits: MomentLimits;
  posts: MomentsService;
  timeline: Timeline;
  interactions: Interactions;
  notices: Notices;
  settings: MomentSettingsService;
}

const { AlbumWindow: W, StrangerAccess: S, MediaVariant: V } = { ...pb, MediaVariant: media.MediaVariant };
const WINDOWS = [W.ALL, W.SIX_MONTHS, W.ONE_MONTH, W.THREE_DAYS];
const STRANGERS = [S.TEN, S.NONE];
const VARIANTS = [V.ORIGINAL, V.THUMBNAIL, V.POSTER];

/** MomentsService over the wire: parse and validate, call, shape the answer. */
export function momentsRpc(p: MomentsParts): ServiceImpl<typeof pb.MomentsService> {
  return {
    async publishMoment(req, ctx) {
      const actor = actorOf(ctx);
      const input = parsePublish(req);
      await within(p.limits.posts, actor);
      return p.posts.publish(actor, input);
    },
    async deleteMoment(req, ctx) {
      const actor = actorOf(ctx);
      await p.posts.delete(actor, parseId(req.momentId, 'momentId'));
      return {};
    },
    async getMoment(req, ctx) {
      const actor = actorOf(ctx);
      return p.posts.get(actor, parseId(req.momentId, 'momentId'));
    },
    async getTimeline(req, ctx) {
      const actor = actorOf(ctx);
      return p.timeline.page(actor, parseCursor(req.cursor), parseLimit(req.limit));
    },
    async getAlbum(req, ctx) {
      const actor = actorOf(ctx);
      const owner = parseId(req.userId, 'userId');
      const r = await p.posts.album(actor, owner, parseCursor(req.cursor), parseLimit(req.limit));
      return { ...r, cover: r.cover && mediaMsg(r.cover) };
    },
    async likeMoment(req, ctx) {
      const actor = actorOf(ctx);
      await within(p.limits.likes, actor);
      return { like: await p.interactions.like(actor, parseId(req.momentId, 'momentId')) };
    },
    async unlikeMoment(req, ctx) {
      const actor = actorOf(ctx);
      await within(p.limits.likes, actor);
      await p.interactions.unlike(actor, parseId(req.momentId, 'momentId'));
      return {};
    },
    async commentMoment(req, ctx) {
      const actor = actorOf(ctx);
      const momentId = parseId(req.momentId, 'momentId');
      const text = parseText(req.text, 'text', LIMITS.comment, true);
      if (!text) throw errors.invalidArgument('a comment needs text', 'text');
      const replyTo = req.replyToCommentId ? parseId(req.replyToCommentId, 'replyToCommentId') : '';
      await within(p.limits.comments, actor);
      return p.interactions.comment(actor, momentId, text, replyTo);
    },
    async deleteComment(req, ctx) {
      const actor = actorOf(ctx);
      await p.interactions.deleteComment(actor, parseId(req.commentId, 'commentId'));
      return {};
    },
    async listMomentNotices(req, ctx) {
      const actor = actorOf(ctx);
      return p.notices.list(
        actor,
        parseCursor(req.cursor),
        parseLimit(req.limit, LIMITS.noticesMax),
        req.markRead,
      );
    },
    async getMomentSettings(_req, ctx) {
      return { settings: await p.settings.get(actorOf(ctx)) };
    },
    async updateMomentSettings(req, ctx) {
      const actor = actorOf(ctx);
      const ids = (raw: string[], field: string) => parseIds(raw, field, LIMITS.filterIds);
      const cover = req.coverMediaId;
      const settings = await p.settings.update(actor, {
        albumWindow: parseEnum(req.albumWindow, WINDOWS, 'albumWindow'),
        strangerAccess: parseEnum(req.strangerAccess, STRANGERS, 'strangerAccess'),
        ...(cover !== undefined && { coverMediaId: cover === '' ? '' : parseId(cover, 'coverMediaId') }),
        hideFromAdd: ids(req.hideFromAdd, 'hideFromAdd'),
        hideFromRemove: ids(req.hideFromRemove, 'hideFromRemove'),
        muteAdd: ids(req.muteAdd, 'muteAdd'),
        muteRemove: ids(req.muteRemove, 'muteRemove'),
      });
      return { settings };
    },
    async getMomentMediaUrl(req, ctx) {
      const actor = actorOf(ctx);
      if (!!req.momentId === !!req.coverUserId)
        throw errors.invalidArgument('set either momentId or coverUserId', 'momentId');
      const r = await p.posts.mediaUrl(actor, {
        momentId: req.momentId ? parseId(req.momentId, 'momentId') : '',
        coverUserId: req.coverUserId ? parseId(req.coverUserId, 'coverUserId') : '',
        mediaId: parseId(req.mediaId, 'mediaId'),
        variant: parseEnum(req.variant, VARIANTS, 'variant')!,
        download: req.download,
      });
      return { url: r.url, expiresAt: timestampFromMs(r.expiresAtMs) };
    },
  };
}
