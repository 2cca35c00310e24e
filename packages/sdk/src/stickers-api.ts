import type { Client } from '@connectrpc/connect';
import type { stickers as pb } from '@mychat/protocol';
import type { Authed } from './chat-backend.js';
import { Emitter } from './events.js';
import { ms, toMediaRef } from './mappers.js';
import type { MessagesApi, SendOptions } from './messages-api.js';
import type { ChatMessage, MediaRef } from './types.js';

/** A sticker (表情包): the user's own (`packId` empty) or an installed pack's. */
export interface Sticker {
  id: string;
  /** Send this file (`stickers.send`); its size and type. */
  image: MediaRef;
  packId: string;
  emoji: string;
  /** A short-lived URL of the original file (GIF and WebP stay animated). */
  url: string;
}

export interface StickerPack {
  id: string;
  name: string;
  stickers: Sticker[];
}

export interface StickersEvents extends Record<string, unknown[]> {
  /** The user's stickers changed on another device: list them again. */
  changed: [];
}

const toSticker = (s: pb.Sticker, baseUrl: string): Sticker => ({
  id: s.id,
  image: toMediaRef(s.image),
  packId: s.packId,
  emoji: s.emoji,
  url: s.url && new URL(s.url, baseUrl + '/').toString(),
});

/**
 * Stickers (表情包 / 存表情): keep an image of a message (or an upload) as the user's own
 * sticker (up to 300, 1 MB each, the same bytes once), list them with the installed packs,
 * reorder, delete and send. `on('changed')` fires when another device changed them.
 */
export class StickersApi extends Emitter<StickersEvents> {
  /** @internal */
  constructor(
    private readonly rpc: Client<typeof pb.StickersService>,
    private readonly authed: Authed,
    private readonly baseUrl: string,
    private readonly messages: MessagesApi,
  ) {
    super();
  }

  /**
   * Keeps image `index` (default the first) of the image or sticker message at `seq` as the
   * user's sticker; `existed` when the user already had these bytes as a sticker.
   */
  async add(conversationId: string, seq: number, index = 0): Promise<{ sticker: Sticker; existed: boolean }> {
    const r = await this.authed((h) => this.rpc.addSticker({ conversationId, seq, index }, h));
    return { sticker: toSticker(r.sticker!, this.baseUrl), existed: r.existed };
  }

  /** Keeps an image the user uploaded (`media.upload`) as their sticker. */
  async addUpload(mediaId: string): Promise<{ sticker: Sticker; existed: boolean }> {
    const r = await this.authed((h) => this.rpc.addSticker({ mediaId }, h));
    return { sticker: toSticker(r.sticker!, this.baseUrl), existed: r.existed };
  }

  /** The user's stickers in their order and every installed pack; the URLs work until `urlsExpireAt`. */
  async list(): Promise<{ stickers: Sticker[]; packs: StickerPack[]; urlsExpireAt: number }> {
    const r = await this.authed((h) => this.rpc.listStickers({}, h));
    return {
      stickers: r.stickers.map((s) => toSticker(s, this.baseUrl)),
      packs: r.packs.map((p) => ({
        id: p.id,
        name: p.name,
        stickers: p.stickers.map((s) => toSticker(s, this.baseUrl)),
      })),
      urlsExpireAt: ms(r.urlsExpireAt),
    };
  }

  /** Every one of the user's sticker ids, in the new order. */
  async reorder(stickerIds: string[]): Promise<void> {
    await this.authed((h) => this.rpc.reorderStickers({ stickerIds }, h));
  }

  /** Up to 100 at once; ids that are gone are ignored. */
  async delete(stickerIds: string[]): Promise<void> {
    await this.authed((h) => this.rpc.deleteStickers({ stickerIds }, h));
  }

  /** Sends a sticker as a message (MESSAGE_TYPE_STICKER), through the outbox like any message. */
  send(conversationId: string, sticker: Sticker, options: SendOptions = {}): Promise<ChatMessage> {
    return this.messages.sendCopy(
      conversationId,
      { type: 'sticker', image: sticker.image, packId: sticker.packId, emoji: sticker.emoji },
      options,
    );
  }

  /** A frame the socket pushed. @internal */
  pushed() {
    this.emit('changed');
  }
}
