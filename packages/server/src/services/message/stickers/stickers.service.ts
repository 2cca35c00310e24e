import { create, fromJsonString, toJsonString } from '@bufbuild/protobuf';
import type { Client } from '@connectrpc/connect';
import { favorites as fpb, type media, message as pb, type stickerFiles } from '@mychat/protocol';
import type { Bus } from '../../../adapters/bus/bus.js';
import { pushFrame, pushToUsers } from '../../../contracts/push-envelope.js';
import type { Clock } from '../../../kernel/clock.js';
import { AppError, ErrorCode, errors } from '../../../kernel/errors.js';
import type { IdGenerator } from '../../../kernel/ids.js';
import type { Caller } from '../../../rpc/call-context.js';
import { seenMessage } from '../message.attachments.js';
import { decodeContent } from '../message.views.js';
import type { MessageStore } from '../store/message-store.js';
import type { PackItemRow, StickerRow, StickersRepository } from './stickers.repository.js';

export interface StickersDeps {
  repo: StickersRepository;
  store: MessageStore;
  media: Client<typeof stickerFiles.StickerFilesService>;
  bus: Bus;
  ids: IdGenerator;
  clock: Clock;
  max: number;
}

/** Where a new sticker's image comes from: an image of a message, or the caller's upload. */
export type StickerSource = { convId: string; seq: number; index: number } | { mediaId: string };

/** A sticker as listed: a user's or a pack's, with its URL. */
export interface StickerView {
  id: string;
  image: pb.MediaRef;
  packId: string;
  emoji: string;
  url: string;
}

export interface PackInput {
  installerId: string;
  name: string;
  mediaIds: string[];
  emojis: string[];
}

const SIGN_CHUNK = 500;
const packInvalid = (why: string, field: string) =>
  new AppError(ErrorCode.STICKER_PACK_INVALID, why, { field });

const refJson = (m: media.Media) =>
  toJsonString(
    pb.MediaRefSchema,
    create(pb.MediaRefSchema, {
      mediaId: m.id,
      mime: m.mime,
      size: m.size,
      width: m.width,
      height: m.height,
      placeholder: m.placeholder,
    }),
  );

/** The images a message carries that may become stickers. */
function imagesOf(c: pb.MessageContent): pb.MediaRef[] {
  if (c.body.case === 'image') return c.body.value.images;
  if (c.body.case === 'sticker' && c.body.value.image) return [c.body.value.image];
  return [];
}

/**
 * Stickers (表情包 / 存表情): the user's own copies of images, in an order of their choosing,
 * and the packs an admin installed. Who sees a message is decided here (the message module's
 * own rule); the files are held by media (a user's copy survives the message's recall).
 */
export class StickersService {
  constructor(private readonly d: StickersDeps) {}

  async add(caller: Caller, src: StickerSource): Promise<{ sticker: StickerView; existed: boolean }> {
    const userId = caller.userId;
    if ((await this.d.repo.count(userId)) >= this.d.max)
      throw new AppError(ErrorCode.STICKERS_FULL, `you can keep ${this.d.max} stickers; delete some first`);
    const id = this.d.ids.next();
    const holder = { holderId: id, userId };
    let held: media.Media;
    if ('mediaId' in src) {
      held = (await this.d.media.holdStickerMedia({ holder, mediaId: src.mediaId, ownerId: userId })).media!;
    } else {
      const row = await seenMessage(this.d.store, userId, src.convId, src.seq);
      if (!row) throw errors.notFound('no such message in a conversation you can see');
      const images = imagesOf(decodeContent(row.content));
      if (!images.length)
        throw new AppError(ErrorCode.STICKER_NOT_IMAGE, 'only images can be stickers', { field: 'seq' });
      const image = images[src.index];
      if (!image) throw errors.invalidArgument('the message has no image at this index', 'index');
      held = (
        await this.d.media.holdStickerMedia({
          holder,
          mediaId: image.mediaId,
          conversationId: row.convId,
          senderId: row.senderId,
          clientMsgId: row.clientMsgId,
        })
      ).media!;
    }
    const sticker = { id, userId, mediaId: held.id, image: refJson(held), createdAt: this.d.clock.now() };
    if (!(await this.d.repo.insert(sticker))) {
      // The same bytes are a sticker already (one copy per owner): keep that one.
      await this.d.media.releaseStickerMedia({ holder, mediaIds: [held.id] });
      return { sticker: await this.viewOf((await this.d.repo.byMedia(userId, held.id))!), existed: true };
    }
    await this.changed(caller);
    return { sticker: await this.viewOf({ ...sticker, position: 0 }), existed: false };
  }

  private async viewOf(s: StickerRow): Promise<StickerView> {
    const r = await this.d.media.signStickerUrls({
      files: [{ holder: { holderId: s.id, userId: s.userId }, mediaId: s.mediaId }],
    });
    return {
      id: s.id,
      image: fromJsonString(pb.MediaRefSchema, s.image),
      packId: '',
      emoji: '',
      url: r.urls[0] ?? '',
    };
  }

  /** The user's stickers and every pack, each with a URL of its original file. */
  async list(userId: string) {
    const [mine, packs] = await Promise.all([this.d.repo.list(userId), this.d.repo.packs()]);
    const files = [
      ...mine.map((s) => ({ holder: { holderId: s.id, userId }, mediaId: s.mediaId })),
      ...packs.flatMap((p) => p.items.map((i) => ({ holder: { holderId: p.pack.id }, mediaId: i.mediaId }))),
    ];
    const urls: string[] = [];
    let expiresAt: stickerFiles.SignStickerUrlsResponse['expiresAt'];
    for (let i = 0; i < files.length; i += SIGN_CHUNK) {
      const r = await this.d.media.signStickerUrls({ files: files.slice(i, i + SIGN_CHUNK) });
      urls.push(...r.urls);
      expiresAt = r.expiresAt;
    }
    let n = 0;
    const view = (s: StickerRow | PackItemRow, packId: string): StickerView => ({
      id: s.id,
      image: fromJsonString(pb.MediaRefSchema, s.image),
      packId,
      emoji: 'emoji' in s ? s.emoji : '',
      url: urls[n++] ?? '',
    });
    return {
      stickers: mine.map((s) => view(s, '')),
      packs: packs.map((p) => ({
        id: p.pack.id,
        name: p.pack.name,
        stickers: p.items.map((i) => view(i, p.pack.id)),
      })),
      expiresAt,
    };
  }

  /** Puts every one of the caller's stickers in the order of `ids`. */
  async reorder(caller: Caller, ids: string[]): Promise<void> {
    const mine = await this.d.repo.list(caller.userId);
    const have = new Set(mine.map((s) => s.id));
    if (ids.length !== have.size || new Set(ids).size !== ids.length || !ids.every((id) => have.has(id)))
      throw errors.invalidArgument('name every one of your stickers once', 'stickerIds');
    await this.d.repo.setOrder(caller.userId, ids);
    await this.changed(caller);
  }

  async delete(caller: Caller, ids: string[]): Promise<void> {
    const userId = caller.userId;
    const mine = new Map((await this.d.repo.list(userId)).map((s) => [s.id, s]));
    let changed = false;
    for (const id of new Set(ids)) {
      const s = mine.get(id);
      if (!s) continue; // already gone (or never the caller's): deleting is idempotent
      await this.d.repo.delete(userId, id);
      await this.d.media.releaseStickerMedia({ holder: { holderId: id, userId }, mediaIds: [s.mediaId] });
      changed = true;
    }
    if (changed) await this.changed(caller);
  }

  /** Installs a pack of the installer's images (an admin: the admin service decided). */
  async installPack(p: PackInput): Promise<string> {
    const name = p.name.trim();
    if (!name || [...name].length > 40) throw packInvalid('a pack name is 1-40 characters', 'name');
    if (p.mediaIds.length < 1 || p.mediaIds.length > 200)
      throw packInvalid('a pack has 1-200 images', 'mediaIds');
    if (new Set(p.mediaIds).size !== p.mediaIds.length)
      throw packInvalid('an image appears twice', 'mediaIds');
    if (p.emojis.length && p.emojis.length !== p.mediaIds.length)
      throw packInvalid('give one emoji per image, or none', 'emojis');
    if (p.emojis.some((e) => [...e].length > 16))
      throw packInvalid('an emoji is up to 16 characters', 'emojis');
    const packId = this.d.ids.next();
    const holder = { holderId: packId };
    const items: PackItemRow[] = [];
    try {
      for (const [i, mediaId] of p.mediaIds.entries()) {
        const m = (await this.d.media.holdStickerMedia({ holder, mediaId, ownerId: p.installerId })).media!;
        items.push({
          id: this.d.ids.next(),
          packId,
          position: i,
          mediaId: m.id,
          image: refJson(m),
          emoji: p.emojis[i] ?? '',
        });
      }
      const pack = { id: packId, name, installerId: p.installerId, createdAt: this.d.clock.now() };
      await this.d.repo.insertPack(pack, items);
    } catch (err) {
      await this.releasePack(packId, items).catch(() => undefined);
      throw err;
    }
    return packId;
  }

  /** Removes a pack (idempotent); sent messages keep their image (their own grant). */
  async deletePack(packId: string): Promise<void> {
    const items = await this.d.repo.deletePack(packId);
    if (items) await this.releasePack(packId, items);
  }

  private async releasePack(packId: string, items: PackItemRow[]) {
    for (let i = 0; i < items.length; i += 200)
      await this.d.media.releaseStickerMedia({
        holder: { holderId: packId },
        mediaIds: items.slice(i, i + 200).map((x) => x.mediaId),
      });
  }

  /** The caller's other devices list their stickers again. */
  private async changed(caller: Caller) {
    const frame = pushFrame({
      case: 'favoritesChanged',
      value: create(fpb.FavoritesChangedSchema, { stickers: true }),
    });
    await pushToUsers(this.d.bus, [caller.userId], frame, caller.sessionId);
  }
}
