import { media, moments as pb } from '@mychat/protocol';
import { isUniqueViolation } from '../../adapters/sql/sql.js';
import type { Clock } from '../../kernel/clock.js';
import { AppError, ErrorCode, errors } from '../../kernel/errors.js';
import type { IdGenerator } from '../../kernel/ids.js';
import type { Logger } from '../../kernel/logger.js';
import { fillPage, type Feed } from './moments.feed.js';
import type { Actor, Contacts, MomentMedia, MomentPush } from './moments.peers.js';
import type { MomentsStore, PostRow, StoredMedia } from './moments.repository.js';
import type { Notices } from './moments.notices.js';
import type { NoticeRow } from './moments.social.repository.js';
import { LIMITS, type PublishInput } from './moments.validation.js';
import { audienceIncludes, windowStart } from './moments.visibility.js';

export interface MomentsServiceDeps {
  store: MomentsStore;
  feed: Feed;
  contacts: Contacts;
  media: MomentMedia;
  push: MomentPush;
  notices: Notices;
  ids: IdGenerator;
  clock: Clock;
  logger: Logger;
}

export interface Page {
  moments: pb.Moment[];
  users: pb.MomentUser[];
  nextCursor: string;
}

const notFound = () => errors.notFound('no such moment');

/**
 * Posts: publishing (the post and its fan-out outbox row in one transaction), deleting,
 * reading one, a person's album, and the URLs of their files. Who may see what is decided on
 * every read by {@link Feed}; the feed itself is {@link Timeline}.
 */
export class MomentsService {
  constructor(private readonly d: MomentsServiceDeps) {}

  async publish(actor: Actor, input: PublishInput): Promise<{ moment: pb.Moment; duplicate: boolean }> {
    const me = actor.userId;
    const { store } = this.d;
    if (input.clientId) {
      const earlier = await store.posts.byClientId(me, input.clientId);
      if (earlier) return { moment: await this.ownView(actor, earlier), duplicate: true };
    }
    // The author's friends from their circle kept between reads (moments.circles.ts), checked
    // against its change stamps, instead of the whole friend list from contacts per post.
    const [{ friends }, tagged] = await Promise.all([
      this.d.feed.circle(actor),
      this.d.contacts.tagMembers(me, input.tags, actor.requestId),
    ]);
    if (input.tags.some((t) => !tagged.has(t)))
      throw errors.invalidArgument('no such friend tag', 'visibility.tagIds');
    // A tag's members when posting join the list: a tag changed later does not change the post.
    const listed = [...new Set([...input.list, ...[...tagged.values()].flat()])];
    if (listed.length > LIMITS.audienceList)
      throw errors.invalidArgument(`an audience lists at most ${LIMITS.audienceList} friends`, 'visibility');
    if (input.audience === pb.Audience.ONLY && listed.length === 0)
      throw errors.invalidArgument('AUDIENCE_ONLY needs at least one friend', 'visibility.tagIds');
    const strangers = listed.filter((id) => !friends.has(id));
    if (strangers.length)
      throw errors.invalid(
        ErrorCode.NOT_FRIENDS,
        'an audience lists someone who is not your friend',
        'visibility.userIds',
      );
    const now = this.d.clock.now();
    const post: PostRow = {
      id: this.d.ids.next(),
      authorId: me,
      clientId: input.clientId,
      text: input.text,
      media: [],
      location: input.location,
      linkUrl: input.linkUrl,
      linkTitle: input.linkTitle,
      audience: input.audience,
      tags: input.tags,
      mentions: input.mentions,
      createdAt: now,
      version: 0,
    };
    const list = new Set(listed);
    for (const m of input.mentions)
      if (!friends.has(m) || !audienceIncludes(post, list, m))
        throw errors.invalidArgument('you can remind only friends who may see the moment', 'mentionUserIds');

    const files = input.videoId ? [input.videoId] : input.imageIds;
    const holder = { ownerId: me, momentId: post.id };
    if (files.length) {
      const kind = input.videoId ? media.MediaKind.VIDEO : media.MediaKind.IMAGE;
      post.media = await this.d.media.attach(holder, files, kind, actor.requestId);
    }
    const mentions: NoticeRow[] = input.mentions.map((userId) => ({
      id: this.d.ids.next(),
      userId,
      kind: pb.NoticeKind.MENTION,
      momentId: post.id,
      actorId: me,
      commentId: null,
      createdAt: now,
    }));
    try {
      await store.transaction(async (tx) => {
        await tx.posts.insert(post, listed, post.audience !== pb.Audience.PRIVATE);
        await tx.social.addNotices(mentions);
      });
    } catch (err) {
      await this.d.media.detach(holder, files, actor.requestId);
      // Two retries with one client id raced: the other one stored it.
      const earlier =
        isUniqueViolation(err) && input.clientId && (await store.posts.byClientId(me, input.clientId));
      if (earlier) return { moment: await this.ownView(actor, earlier), duplicate: true };
      throw err;
    }
    if (post.audience !== pb.Audience.PRIVATE) await this.d.push.wake();
    for (const n of mentions) await this.d.notices.pushed(n, post, undefined, actor.requestId);
    return { moment: await this.ownView(actor, post), duplicate: false };
  }

  /** The author deletes a post: it, its likes, comments, notices and timeline pointers go. */
  async delete(actor: Actor, momentId: string): Promise<void> {
    const post = await this.d.store.posts.get(momentId);
    if (!post || post.authorId !== actor.userId) throw notFound();
    await this.d.store.transaction((tx) => tx.posts.delete(post.id));
    await this.d.media.detach(
      { ownerId: post.authorId, momentId: post.id },
      post.media.map((m) => m.id),
      actor.requestId,
    );
  }

  async get(actor: Actor, momentId: string): Promise<{ moment: pb.Moment; users: pb.MomentUser[] }> {
    const { seen, circle } = await this.d.feed.seen(actor, momentId);
    const r = await this.d.feed.present(actor, circle, [seen]);
    return { moment: r.moments[0]!, users: r.users };
  }

  /**
   * A person's posts as the caller may see them, newest first: all of their own; a friend's
   * within the album window and the audiences; a stranger's newest 10 shared with all friends
   * (or none). Someone in a block relation, or hidden from, sees no posts.
   */
  async album(
    actor: Actor,
    ownerId: string,
    cursor: string,
    limit: number,
  ): Promise<Page & { cover?: StoredMedia; strangerView: boolean }> {
    const { feed, store } = this.d;
    const now = this.d.clock.now();
    const circle = await feed.circle(actor, [ownerId]);
    const rules = (await feed.rules([ownerId])).get(ownerId)!;
    const settings = (await store.people.settings([ownerId])).get(ownerId);
    const own = ownerId === actor.userId;
    const friend = circle.friends.has(ownerId);
    const empty = { moments: [], users: [], nextCursor: '', strangerView: !own && !friend };
    // Someone in a block relation, or hidden from, sees neither posts nor the cover.
    if (circle.blocked.has(ownerId) || circle.hiddenBy.has(ownerId)) return empty;
    const cover = settings?.cover ?? undefined;
    const since = own ? 0 : windowStart(rules, now);
    // Posts outside the caller's audience are skipped: read on until the page is full.
    const { seen, nextCursor } = await fillPage(
      cursor,
      limit,
      (before, n) => store.posts.album(ownerId, before, since, n),
      (p) => p.id,
      (posts) => feed.judge(posts, circle, now),
    );
    const page = await feed.present(actor, circle, seen);
    return {
      ...page,
      nextCursor,
      strangerView: !own && !friend,
      ...(cover && { cover }),
    };
  }

  /** A URL for a file of a post the caller may see, or of a person's album cover. */
  async mediaUrl(
    actor: Actor,
    req: { momentId: string; coverUserId: string; mediaId: string; variant: number; download: boolean },
  ): Promise<{ url: string; expiresAtMs: number }> {
    const noFile = () => errors.notFound('no such file in a moment you can see');
    if (req.momentId) {
      const { seen } = await this.d.feed.seen(actor, req.momentId).catch((err: unknown) => {
        throw err instanceof AppError && err.code === ErrorCode.NOT_FOUND ? noFile() : err;
      });
      if (!seen.post.media.some((m) => m.id === req.mediaId)) throw noFile();
      return this.d.media.sign(
        { ownerId: seen.post.authorId, momentId: seen.post.id },
        req.mediaId,
        req.variant,
        req.download,
        actor.requestId,
      );
    }
    const owner = req.coverUserId;
    if (owner !== actor.userId) {
      const circle = await this.d.feed.circle(actor, [owner]);
      if (circle.blocked.has(owner) || circle.hiddenBy.has(owner)) throw noFile();
    }
    const cover = (await this.d.store.people.settings([owner])).get(owner)?.cover;
    if (cover?.id !== req.mediaId) throw noFile();
    return this.d.media.sign(
      { ownerId: owner, momentId: '' },
      req.mediaId,
      req.variant,
      req.download,
      actor.requestId,
    );
  }

  private async ownView(actor: Actor, post: PostRow): Promise<pb.Moment> {
    const part = (await this.d.feed.parts([post])).get(post.id)!;
    const circle = {
      viewerId: actor.userId,
      friends: new Map(),
      blocked: new Set<string>(),
      hiddenBy: new Set<string>(),
      muted: new Set<string>(),
    };
    const r = await this.d.feed.present(actor, circle, [{ post, access: 'own', list: part.list, part }]);
    if (!r.moments[0]) throw new AppError(ErrorCode.INTERNAL, 'the moment vanished');
    return r.moments[0];
  }
}
