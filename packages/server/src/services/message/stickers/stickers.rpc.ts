import { create } from '@bufbuild/protobuf';
import type { ServiceImpl } from '@connectrpc/connect';
import { type stickerPacks, stickers as pb } from '@mychat/protocol';
import { errors } from '../../../kernel/errors.js';
import { parseId } from '../../../kernel/ids.js';
import { requireCaller } from '../../../rpc/call-context.js';
import type { StickerSource, StickersService, StickerView } from './stickers.service.js';

const MAX_IDS = 100;

const stickerMsg = (s: StickerView) => create(pb.StickerSchema, s);

/** StickersService over the wire: parse, call, shape. */
export function stickersRpc(service: StickersService): ServiceImpl<typeof pb.StickersService> {
  return {
    async addSticker(req, ctx) {
      const caller = requireCaller(ctx);
      let src: StickerSource;
      if (req.conversationId) {
        if (req.seq < 1) throw errors.invalidArgument('seq must be positive', 'seq');
        if (req.index > 8) throw errors.invalidArgument('index is 0-8', 'index');
        src = { convId: parseId(req.conversationId, 'conversationId'), seq: req.seq, index: req.index };
      } else src = { mediaId: parseId(req.mediaId, 'mediaId') };
      const { sticker, existed } = await service.add(caller, src);
      return { sticker: stickerMsg(sticker), existed };
    },
    async listStickers(_req, ctx) {
      const r = await service.list(requireCaller(ctx).userId);
      return {
        stickers: r.stickers.map(stickerMsg),
        packs: r.packs.map((p) =>
          create(pb.StickerPackSchema, { ...p, stickers: p.stickers.map(stickerMsg) }),
        ),
        ...(r.expiresAt && { urlsExpireAt: r.expiresAt }),
      };
    },
    async reorderStickers(req, ctx) {
      await service.reorder(
        requireCaller(ctx),
        req.stickerIds.map((id) => parseId(id, 'stickerIds')),
      );
      return {};
    },
    async deleteStickers(req, ctx) {
      if (req.stickerIds.length > MAX_IDS)
        throw errors.invalidArgument(`at most ${MAX_IDS} stickers at once`, 'stickerIds');
      await service.delete(
        requireCaller(ctx),
        req.stickerIds.map((id) => parseId(id, 'stickerIds')),
      );
      return {};
    },
  };
}

/** The admin service's pack calls (StickerPacksInternalService). */
export function stickerPacksInternalRpc(
  service: StickersService,
): ServiceImpl<typeof stickerPacks.StickerPacksInternalService> {
  return {
    async installStickerPack(req) {
      const packId = await service.installPack({
        installerId: parseId(req.installerId, 'installerId'),
        name: req.name,
        mediaIds: req.mediaIds.map((m) => parseId(m, 'mediaIds')),
        emojis: req.emojis,
      });
      return { packId };
    },
    async deleteStickerPack(req) {
      await service.deletePack(parseId(req.packId, 'packId'));
      return {};
    },
  };
}
