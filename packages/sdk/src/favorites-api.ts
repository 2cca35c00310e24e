import type { Client } from '@connectrpc/connect';
import { media, type favorites as pb } from '@mychat/protocol';
import type { Authed } from './chat-backend.js';
import { Emitter } from './events.js';
import type { MediaVariant } from './media-api.js';
import { ms, toContent } from './mappers.js';
import type { MessageContent } from './types.js';

/** A saved message (收藏): a snapshot whose files are the user's own copies. */
export interface Favorite {
  id: string;
  /** text, link, image, voice, video, file, or another content kind (a chat record). */
  kind: string;
  content: MessageContent;
  conversationId: string;
  seq: number;
  senderId: string;
  sentAt: number;
  tags: string[];
  createdAt: number;
}

export interface FavoritesEvents extends Record<string, unknown[]> {
  /** The favourites changed on another device: list them again. */
  changed: [e: { favoriteId: string; deleted: boolean }];
}

const VARIANTS: Record<MediaVariant, media.MediaVariant> = {
  original: media.MediaVariant.ORIGINAL,
  thumbnail: media.MediaVariant.THUMBNAIL,
  poster: media.MediaVariant.POSTER,
};

const toFavorite = (f: pb.Favorite): Favorite => ({
  id: f.id,
  kind: f.kind,
  content: toContent(f.content),
  conversationId: f.conversationId,
  seq: f.seq,
  senderId: f.senderId,
  sentAt: ms(f.sentAt),
  tags: [...f.tags],
  createdAt: ms(f.createdAt),
});

/**
 * Favourites (收藏): save a message the user sees, list (by kind, tag, text), tag, delete,
 * and open their files. Forward one with `client.messages.sendCopy(conv, favorite.content)`:
 * its files are the user's own. `on('changed')` fires when another device changed them.
 */
export class FavoritesApi extends Emitter<FavoritesEvents> {
  /** @internal */
  constructor(
    private readonly rpc: Client<typeof pb.FavoritesService>,
    private readonly authed: Authed,
    private readonly baseUrl: string,
  ) {
    super();
  }

  /** Saves the message at `seq` (NOT_FOUND unless the user sees it); the same message twice gives the first. */
  async add(conversationId: string, seq: number, tags: string[] = []): Promise<Favorite> {
    const r = await this.authed((h) => this.rpc.addFavorite({ conversationId, seq, tags }, h));
    return toFavorite(r.favorite!);
  }

  /** Newest first; `cursor` is the previous page's `nextCursor`. */
  async list(
    q: { kind?: string; tag?: string; query?: string; cursor?: string; limit?: number } = {},
  ): Promise<{ favorites: Favorite[]; nextCursor: string; tags: string[] }> {
    const r = await this.authed((h) => this.rpc.listFavorites(q, h));
    return { favorites: r.favorites.map(toFavorite), nextCursor: r.nextCursor, tags: [...r.tags] };
  }

  async setTags(favoriteId: string, tags: string[]): Promise<Favorite> {
    return toFavorite(
      (await this.authed((h) => this.rpc.setFavoriteTags({ favoriteId, tags }, h))).favorite!,
    );
  }

  async delete(favoriteId: string): Promise<void> {
    await this.authed((h) => this.rpc.deleteFavorite({ favoriteId }, h));
  }

  /** A short-lived URL of a file the favourite keeps. */
  async mediaUrl(
    favoriteId: string,
    mediaId: string,
    opts: { variant?: MediaVariant; download?: boolean } = {},
  ): Promise<{ url: string; expiresAt: number }> {
    const r = await this.authed((h) =>
      this.rpc.getFavoriteMediaUrl(
        {
          favoriteId,
          mediaId,
          variant: VARIANTS[opts.variant ?? 'original'],
          download: opts.download ?? false,
        },
        h,
      ),
    );
    return { url: new URL(r.url, this.baseUrl + '/').toString(), expiresAt: ms(r.expiresAt) };
  }

  /** A frame the socket pushed. @internal */
  pushed(e: pb.FavoritesChanged) {
    this.emit('changed', { favoriteId: e.favoriteId, deleted: e.deleted });
  }
}
