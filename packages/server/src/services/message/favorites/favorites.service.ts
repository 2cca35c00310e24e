import { clone, create, fromJsonString, toJsonString } from '@bufbuild/protobuf';
import type { Client } from '@connectrpc/connect';
import { favorites as fpb, type media, message as pb } from '@mychat/protocol';
import type { Bus } from '../../../adapters/bus/bus.js';
import { pushFrame, pushToUsers } from '../../../contracts/push-envelope.js';
import type { Clock } from '../../../kernel/clock.js';
import { AppError, ErrorCode, errors } from '../../../kernel/errors.js';
import type { IdGenerator } from '../../../kernel/ids.js';
import type { Caller } from '../../../rpc/call-context.js';
import { seenMessage } from '../message.attachments.js';
import { mediaIdsOf } from '../message.media.js';
import { decodeContent } from '../message.views.js';
import type { MessageStore } from '../store/message-store.js';
import type { FavoriteRow, FavoritesRepository } from './favorites.repository.js';

export interface FavoritesDeps {
  repo: FavoritesRepository;
  store: MessageStore;
  media: Pick<
    Client<typeof media.MediaInternalService>,
    'holdFavoriteMedia' | 'signFavoriteUrl' | 'releaseFavoriteMedia'
  >;
  bus: Bus;
  ids: IdGenerator;
  clock: Clock;
  max: number;
}

export interface ListQuery {
  kind: string;
  tag: string;
  query: string;
  beforeId: string;
  limit: number;
}

const LINK = /\bhttps?:\/\/\S/i;

/** text, link (a text with a web address), image, voice, video, file, or another content case. */
export function kindOf(c: pb.MessageContent): string {
  if (c.body.case === 'text') return LINK.test(c.body.value.text) ? 'link' : 'text';
  return c.body.case ?? 'empty';
}

/** The words a favourite is found by: its text, its file name and its tags, lower-cased. */
function searchTextOf(c: pb.MessageContent, tags: string[]): string {
  const parts = [...tags];
  if (c.body.case === 'text') parts.push(c.body.value.text);
  if (c.body.case === 'file') parts.push(c.body.value.name);
  return parts.join('\n').toLowerCase().slice(0, 20_000);
}

/** Every `mediaId` in the content replaced by its copy (whatever message type carries it). */
function withCopies(c: pb.MessageContent, copies: Map<string, string>): pb.MessageContent {
  const out = clone(pb.MessageContentSchema, c);
  const walk = (v: unknown): void => {
    if (!v || typeof v !== 'object') return;
    if (Array.isArray(v)) return v.forEach(walk);
    const o = v as Record<string, unknown>;
    if (typeof o.mediaId === 'string' && copies.has(o.mediaId)) o.mediaId = copies.get(o.mediaId);
    for (const k of Object.keys(o)) if (k !== '$typeName') walk(o[k]);
  };
  walk(out);
  return out;
}

/**
 * Favourites (收藏): snapshots of messages a user saw, kept apart from the conversation so
 * they outlive a recall, the sender leaving or the group dissolving. Who sees a message is
 * decided here (the message module's own rule), files are copied through media.
 */
export class FavoritesService {
  constructor(private readonly d: FavoritesDeps) {}

  async add(caller: Caller, convId: string, seq: number, tags: string[]): Promise<FavoriteRow> {
    const userId = caller.userId;
    const row = await seenMessage(this.d.store, userId, convId, seq);
    if (!row) throw errors.notFound('no such message in a conversation you can see');
    const before = await this.d.repo.bySource(userId, convId, seq);
    if (before) return before;
    const content = decodeContent(row.content);
    if (content.body.case === 'system' || content.body.case === 'recall' || !content.body.case)
      throw errors.invalidArgument('this message cannot be saved', 'seq');
    if ((await this.d.repo.count(userId)) >= this.d.max)
      throw new AppError(
        ErrorCode.FAVORITES_FULL,
        `you can keep ${this.d.max} favourites; delete some first`,
      );
    const id = this.d.ids.next();
    const copies = new Map<string, string>();
    for (const mediaId of mediaIdsOf(content)) {
      const r = await this.d.media.holdFavoriteMedia({
        userId,
        favoriteId: id,
        mediaId,
        conversationId: row.convId,
        senderId: row.senderId,
        clientMsgId: row.clientMsgId,
      });
      copies.set(mediaId, r.media!.id);
    }
    const snapshot = withCopies(content, copies);
    const fav: FavoriteRow = {
      id,
      userId,
      kind: kindOf(snapshot),
      content: toJsonString(pb.MessageContentSchema, snapshot),
      searchText: searchTextOf(snapshot, tags),
      tags,
      mediaIds: [...copies.values()],
      convId: row.convId,
      seq: row.seq,
      senderId: row.senderId,
      sentAt: row.createdAt,
      createdAt: this.d.clock.now(),
    };
    if (!(await this.d.repo.insert(fav))) {
      // Saved at the same time from another device: keep the first, let this one's copies go.
      await this.release(userId, id, fav.mediaIds);
      return (await this.d.repo.bySource(userId, convId, seq))!;
    }
    await this.changed(caller, id, false);
    return fav;
  }

  list(userId: string, q: ListQuery): Promise<FavoriteRow[]> {
    return this.d.repo.list(userId, q);
  }

  tags(userId: string): Promise<string[]> {
    return this.d.repo.allTags(userId);
  }

  async setTags(caller: Caller, id: string, tags: string[]): Promise<FavoriteRow> {
    const f = await this.mine(caller.userId, id);
    await this.d.repo.setTags(caller.userId, id, tags, searchTextOf(contentOf(f), tags));
    await this.changed(caller, id, false);
    return { ...f, tags };
  }

  async delete(caller: Caller, id: string): Promise<void> {
    const f = await this.d.repo.get(caller.userId, id);
    if (!f) return; // already gone: deleting is idempotent
    await this.d.repo.delete(caller.userId, id);
    await this.release(caller.userId, id, f.mediaIds);
    await this.changed(caller, id, true);
  }

  /** A URL of a file the caller's favourite keeps (its copy); NOT_FOUND otherwise. */
  async mediaUrl(userId: string, id: string, mediaId: string, variant: number, download: boolean) {
    const f = await this.mine(userId, id);
    if (!f.mediaIds.includes(mediaId)) throw errors.notFound('no such file in this favourite');
    return this.d.media.signFavoriteUrl({ userId, favoriteId: id, mediaId, variant, download });
  }

  private async mine(userId: string, id: string): Promise<FavoriteRow> {
    const f = await this.d.repo.get(userId, id);
    if (!f) throw errors.notFound('no such favourite');
    return f;
  }

  private async release(userId: string, favoriteId: string, mediaIds: string[]) {
    if (mediaIds.length) await this.d.media.releaseFavoriteMedia({ userId, favoriteId, mediaIds });
  }

  /** The caller's other devices list their favourites again. */
  private async changed(caller: Caller, favoriteId: string, deleted: boolean) {
    const frame = pushFrame({
      case: 'favoritesChanged',
      value: create(fpb.FavoritesChangedSchema, { favoriteId, deleted }),
    });
    await pushToUsers(this.d.bus, [caller.userId], frame, caller.sessionId);
  }
}

export const contentOf = (f: FavoriteRow): pb.MessageContent =>
  fromJsonString(pb.MessageContentSchema, f.content);
