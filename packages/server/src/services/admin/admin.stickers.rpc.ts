import type { ServiceImpl } from '@connectrpc/connect';
import type { admin as pb } from '@mychat/protocol';
import { errors } from '../../kernel/errors.js';
import { parseId } from '../../kernel/ids.js';
import { ROLE_ADMIN } from './admin.access.js';
import type { AdminParts } from './admin.peers.js';

/**
 * Sticker packs (表情包) for everyone: an admin installs a pack of images they uploaded, or
 * removes one (a destructive action: it needs the step-up). The packs live with the message module's stickers; this is only the door
 * (the role check and the audit log).
 */
export function adminStickersRpc(
  p: AdminParts,
): Pick<ServiceImpl<typeof pb.AdminService>, 'installStickerPack' | 'deleteStickerPack'> {
  const { access } = p;
  const messages = p.peers.message.stickerPacks;
  return {
    async installStickerPack(req, ctx) {
      const op = await access.operator(ctx, ROLE_ADMIN);
      if (req.mediaIds.length > 200) throw errors.invalidArgument('a pack has 1-200 images', 'mediaIds');
      const { packId } = await messages.installStickerPack({
        installerId: op.userId,
        name: req.name,
        mediaIds: req.mediaIds.map((m) => parseId(m, 'mediaIds')),
        emojis: req.emojis,
      });
      await access.audit(op, 'stickers.install', `sticker_pack:${packId}`, req.name.trim());
      return { packId };
    },
    async deleteStickerPack(req, ctx) {
      const op = await access.operator(ctx, ROLE_ADMIN);
      const packId = parseId(req.packId, 'packId');
      await access.requireStepUp(op);
      await messages.deleteStickerPack({ packId });
      await access.audit(op, 'stickers.delete', `sticker_pack:${packId}`, '');
      return {};
    },
  };
}
