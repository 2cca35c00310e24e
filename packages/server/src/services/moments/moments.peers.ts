import { create } from '@bufbuild/protobuf';
import type { Client } from '@connectrpc/connect';
import { type contacts, gateway, type media, type moments } from '@mychat/protocol';
import type { Bus } from '../../adapters/bus/bus.js';
import { pushToUsers } from '../../contracts/push-envelope.js';
import type { Logger } from '../../kernel/logger.js';
import { callHeaders } from '../../rpc/call-context.js';
import { HintBatch } from './moments.hints.js';
import type { StoredMedia } from './moments.repository.js';

/** Who is acting, and the request id that follows the call into other services and logs. */
export interface Actor {
  userId: string;
  sessionId: string;
  requestId: string;
}

/** A person as the viewer sees them (with the viewer's remark). */
export interface Person {
  id: string;
  nickname: string;
  avatarUrl: string;
  remark: string;
}

const LOOKUP_MAX = 1000;

/** Friendships, blocks and profiles, from the contacts service's internal API. */
export class Contacts {
  constructor(private readonly client: Client<typeof contacts.ContactsInternalService>) {}

  /** The user's friends (block relations left out) and which of `check` are in a block relation. */
  async graph(
    userId: string,
    check: readonly string[],
    requestId: string,
  ): Promise<{ friends: Map<string, number>; blocked: Set<string> }> {
    const res = await this.client.getFriendGraph(
      { userId, checkUserIds: [...new Set(check)].slice(0, LOOKUP_MAX) },
      { headers: callHeaders({ requestId }) },
    );
    return {
      friends: new Map(res.friends.map((f) => [f.userId, f.sinceMs])),
      blocked: new Set(res.blockedUserIds),
    };
  }

  /** The members (still friends) of the user's tags, by tag id; an unknown tag is left out. */
  async tagMembers(
    userId: string,
    tagIds: readonly string[],
    requestId: string,
  ): Promise<Map<string, string[]>> {
    if (tagIds.length === 0) return new Map();
    const res = await this.client.resolveFriendTags(
      { userId, tagIds: [...tagIds] },
      { headers: callHeaders({ requestId }) },
    );
    return new Map(res.tags.map((t) => [t.id, [...t.memberIds]]));
  }

  /** Profiles as `viewerId` sees them, by id (unknown ids left out). */
  async people(viewerId: string, ids: Iterable<string>, requestId: string): Promise<Map<string, Person>> {
    const all = [...new Set(ids)];
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

/** A post (or, with no moment id, the owner's cover) holding files in the media service. */
export interface Holder {
  ownerId: string;
  momentId: string;
}

export const storedMedia = (m: media.Media): StoredMedia => ({
  id: m.id,
  kind: m.kind,
  mime: m.mime,
  size: Number(m.size),
  width: m.width,
  height: m.height,
  durationMs: m.durationMs,
  placeholder: m.placeholder,
  thumb: m.hasThumbnail,
  poster: m.hasPoster,
});

/**
 * Files of posts and covers, in the media service: it checks that they are the owner's and
 * ready, keeps them while a post holds them, and signs URLs for held files only. Who may see
 * a post is decided here in moments, never by media.
 */
export class MomentMedia {
  constructor(
    private readonly client: Client<typeof media.MediaInternalService>,
    private readonly logger: Logger,
  ) {}

  async attach(holder: Holder, mediaIds: string[], kind: number, requestId: string): Promise<StoredMedia[]> {
    const res = await this.client.attachMomentMedia(
      { holder, mediaIds, kind },
      { headers: callHeaders({ requestId }) },
    );
    return res.media.map(storedMedia);
  }

  async sign(
    holder: Holder,
    mediaId: string,
    variant: number,
    download: boolean,
    requestId: string,
  ): Promise<{ url: string; expiresAtMs: number }> {
    const res = await this.client.signMomentUrl(
      { holder, mediaId, variant, download },
      { headers: callHeaders({ requestId }) },
    );
    return { url: res.url, expiresAtMs: res.expiresAt ? Number(res.expiresAt.seconds) * 1000 : 0 };
  }

  /** Lets go of files; a failure is logged (the files stay until their owner frees them). */
  async detach(holder: Holder, mediaIds: string[], requestId: string): Promise<void> {
    if (mediaIds.length === 0) return;
    try {
      await this.client.detachMomentMedia({ holder, mediaIds }, { headers: callHeaders({ requestId }) });
    } catch (err) {
      this.logger.warn({ err, request_id: requestId }, 'moments: could not release files');
    }
  }
}

/** The bus channel that wakes the fan-out workers when a post is published. */
export const FANOUT_CHANNEL = 'moments:fanout';

/** Tells live sockets about new posts and notices. Best effort: a failure is logged, not raised. */
export class MomentPush {
  /** The fan-out's hints, sent together per window (see HintBatch). */
  private readonly hints: HintBatch;

  constructor(
    private readonly bus: Bus,
    private readonly logger: Logger,
    /** How long a hint may wait to leave with others (`moments.hintWindowMs`); 0 sends at once. */
    hintWindowMs = 0,
  ) {
    this.hints = new HintBatch((userIds, hint) => this.hintNow(userIds, hint), hintWindowMs);
  }

  /** The red dot for `userIds`: sent within the hint window, with the other hints of that window. */
  hint(userIds: readonly string[], hint: moments.MomentHint): Promise<void> {
    return this.hints.add(userIds, hint);
  }

  /** Sends the hints still held (on stop). */
  flush(): Promise<void> {
    return this.hints.flush();
  }

  private async hintNow(userIds: readonly string[], hint: moments.MomentHint): Promise<void> {
    if (userIds.length === 0) return;
    const frame = create(gateway.ServerFrameSchema, { body: { case: 'momentHint', value: hint } });
    try {
      await pushToUsers(this.bus, userIds, frame);
    } catch (err) {
      this.logger.warn({ err }, 'moment hint push failed');
    }
  }

  async notice(userId: string, event: moments.MomentNoticeEvent): Promise<void> {
    const frame = create(gateway.ServerFrameSchema, { body: { case: 'momentNotice', value: event } });
    try {
      await pushToUsers(this.bus, [userId], frame);
    } catch (err) {
      this.logger.warn({ err }, 'moment notice push failed');
    }
  }

  /** Wakes the fan-out workers (they also poll, so a lost wake only delays). */
  async wake(): Promise<void> {
    try {
      await this.bus.publish(FANOUT_CHANNEL, new Uint8Array(0));
    } catch (err) {
      this.logger.warn({ err }, 'moments fan-out wake failed');
    }
  }
}
