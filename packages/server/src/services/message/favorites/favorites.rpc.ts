import { create } from '@bufbuild/protobuf';
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import type { ServiceImpl } from '@connectrpc/connect';
import { favorites as pb } from '@mychat/protocol';
import { errors } from '../../../kernel/errors.js';
import { parseId } from '../../../kernel/ids.js';
import { requireCaller } from '../../../rpc/call-context.js';
import type { FavoriteRow } from './favorites.repository.js';
import { contentOf, type FavoritesService } from './favorites.service.js';

const TAG = /^[^\p{Cc}\p{Cf},]{1,20}$/u;
const KIND = /^[a-z_]{1,32}$/;

function parseTags(raw: string[]): string[] {
  const tags = [...new Set(raw.map((t) => t.trim()))];
  if (tags.length > 10) throw errors.invalidArgument('at most 10 tags', 'tags');
  for (const t of tags)
    if (!TAG.test(t)) throw errors.invalidArgument('a tag is 1-20 characters, no commas', 'tags');
  return tags;
}

export function favoriteMsg(f: FavoriteRow): pb.Favorite {
  return create(pb.FavoriteSchema, {
    id: f.id,
    kind: f.kind,
    content: contentOf(f),
    conversationId: f.convId,
    seq: f.seq,
    senderId: f.senderId,
    sentAt: timestampFromMs(f.sentAt),
    tags: f.tags,
    createdAt: timestampFromMs(f.createdAt),
  });
}

/** FavoritesService over the wire: parse, call, shape. */
export function favoritesRpc(service: FavoritesService): ServiceImpl<typeof pb.FavoritesService> {
  const fid = (raw: string) => parseId(raw, 'favoriteId');
  return {
    async addFavorite(req, ctx) {
      const caller = requireCaller(ctx);
      if (req.seq < 1) throw errors.invalidArgument('seq must be positive', 'seq');
      const f = await service.add(
        caller,
        parseId(req.conversationId, 'conversationId'),
        req.seq,
        parseTags(req.tags),
      );
      return { favorite: favoriteMsg(f) };
    },
    async listFavorites(req, ctx) {
      const userId = requireCaller(ctx).userId;
      if (req.kind && !KIND.test(req.kind)) throw errors.invalidArgument('kind is not valid', 'kind');
      if (req.query.length > 100) throw errors.tooLong('query', 100);
      if (req.tag.length > 20) throw errors.tooLong('tag', 20);
      const limit = req.limit === 0 ? 30 : req.limit;
      if (limit > 100) throw errors.invalidArgument('limit is 1-100', 'limit');
      const rows = await service.list(userId, {
        kind: req.kind,
        tag: req.tag.trim(),
        query: req.query.trim(),
        beforeId: req.cursor ? parseId(req.cursor, 'cursor') : '',
        limit: limit + 1,
      });
      const page = rows.slice(0, limit);
      return {
        favorites: page.map(favoriteMsg),
        nextCursor: rows.length > limit ? page[page.length - 1]!.id : '',
        tags: await service.tags(userId),
      };
    },
    async setFavoriteTags(req, ctx) {
      const f = await service.setTags(requireCaller(ctx), fid(req.favoriteId), parseTags(req.tags));
      return { favorite: favoriteMsg(f) };
    },
    async deleteFavorite(req, ctx) {
      await service.delete(requireCaller(ctx), fid(req.favoriteId));
      return {};
    },
    async getFavoriteMediaUrl(req, ctx) {
      const r = await service.mediaUrl(
        requireCaller(ctx).userId,
        fid(req.favoriteId),
        parseId(req.mediaId, 'mediaId'),
        req.variant,
        req.download,
      );
      return { url: r.url, ...(r.expiresAt && { expiresAt: r.expiresAt }) };
    },
  };
}
