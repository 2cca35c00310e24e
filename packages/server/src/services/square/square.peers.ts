import { create } from '@bufbuild/protobuf';
import type { Client } from '@connectrpc/connect';
import { type contacts, gateway, media, type square } from '@mychat/protocol';
import type { Bus } from '../../adapters/bus/bus.js';
import { pushToUsers } from '../../contracts/push-envelope.js';
import type { Logger } from '../../kernel/logger.js';
import { callHeaders } from '../../rpc/call-context.js';
import type { StoredMedia } from './square.tables.js';

/** Who is acting, and the request id that follows the call into other services and logs. */
export interface Actor {
  userId: string;
  requestId: string;
}

export interface Person {
  id: string;
  nickname: string;
  avatarUrl: string;
  remark: string;
}

const LOOKUP_MAX = 1000;

/** Group roles (group boards) and profiles, from the contacts service's internal API. */
export class Contacts {
  constructor(private readonly client: Client<typeof contacts.ContactsInternalService>) {}

  /** The user's role in each group (0: not a member), for groups of group boards. */
  async roles(userId: string, groupIds: readonly string[], requestId: string): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    for (let i = 0; i < groupIds.length; i += LOOKUP_MAX) {
      const part = groupIds.slice(i, i + LOOKUP_MAX);
      const res = await this.client.getGroupRoles(
        { userId, groupIds: part },
        { headers: callHeaders({ requestId }) },
      );
      part.forEach((g, j) => out.set(g, res.roles[j] ?? 0));
    }
    return out;
  }

  /** Profiles as `viewerId` sees them, by id (unknown ids left out). */
  async people(viewerId: string, ids: Iterable<string>, requestId: string): Promise<Map<string, Person>> {
    const all = [...new Set(ids)].filter(Boolean);
    const out = new Map<string, Person>();
    for (let i = 0; i < all.length; i += LOOKUP_MAX) {
      const res = await this.client.lookupUsers(
        { viewerId, userIds: all.slice(i, i + LOOKUP_MAX) },
        { headers: callHeaders({ requestId }) },
      );
      for (const u of res.users)
        if (u.user)
          out.set(u.user.id, {
            id: u.user.id,
            nickname: u.user.nickname,
            avatarUrl: u.user.avatarUrl,
            remark: u.remark,
          });
    }
    return out;
  }
}

/**
 * Images of posts, in the media service. A post holds its files the way a moment does (the
 * media service's "moment holder" is any post id with its author), so they are never freed as
 * unused while the post exists; who may see a post is decided here, never by media.
 */
export class SquareMedia {
  constructor(
    private readonly client: Client<typeof media.MediaInternalService>,
    private readonly logger: Logger,
  ) {}

  async attach(
    ownerId: string,
    postId: string,
    mediaIds: string[],
    requestId: string,
  ): Promise<StoredMedia[]> {
    if (mediaIds.length === 0) return [];
    const res = await this.client.attachMomentMedia(
      { holder: { ownerId, momentId: postId }, mediaIds, kind: media.MediaKind.IMAGE },
      { headers: callHeaders({ requestId }) },
    );
    return res.media.map((m) => ({
      id: m.id,
      kind: m.kind,
      mime: m.mime,
      width: m.width,
      height: m.height,
      placeholder: m.placeholder,
      thumb: m.hasThumbnail,
    }));
  }

  /** A short-lived URL of one variant of a post's file ("" when signing failed: logged). */
  async sign(ownerId: string, postId: string, file: StoredMedia, thumb: boolean, requestId: string) {
    try {
      const res = await this.client.signMomentUrl(
        {
          holder: { ownerId, momentId: postId },
          mediaId: file.id,
          variant: thumb && file.thumb ? media.MediaVariant.THUMBNAIL : media.MediaVariant.ORIGINAL,
        },
        { headers: callHeaders({ requestId }) },
      );
      return res.url;
    } catch (err) {
      this.logger.warn({ err, request_id: requestId }, 'square: could not sign a file url');
      return '';
    }
  }

  /** Lets go of a removed post's files; a failure is logged. */
  async detach(ownerId: string, postId: string, mediaIds: string[], requestId: string): Promise<void> {
    if (mediaIds.length === 0) return;
    try {
      await this.client.detachMomentMedia(
        { holder: { ownerId, momentId: postId }, mediaIds },
        { headers: callHeaders({ requestId }) },
      );
    } catch (err) {
      this.logger.warn({ err, request_id: requestId }, 'square: could not release files');
    }
  }
}

/** Tells live sockets about new notices. Best effort: a failure is logged, not raised. */
export class SquarePush {
  constructor(
    private readonly bus: Bus,
    private readonly logger: Logger,
  ) {}

  async notice(userId: string, n: square.SquareNotice): Promise<void> {
    const value = {
      id: n.id,
      kind: n.kind,
      threadId: n.threadId,
      postId: n.postId,
      actorId: n.actorId,
      text: n.text,
      removed: n.removed,
      createdAtMs: n.createdAt ? Number(n.createdAt.seconds) * 1000 + Math.floor(n.createdAt.nanos / 1e6) : 0,
      threadTitle: n.threadTitle,
    };
    const frame = create(gateway.ServerFrameSchema, { body: { case: 'squareNotice', value } });
    try {
      await pushToUsers(this.bus, [userId], frame);
    } catch (err) {
      this.logger.warn({ err }, 'square notice push failed');
    }
  }
}
