import { STICKER_HOLD, STICKER_MAX_BYTES } from '../../contracts/stickers.js';
import { AppError, ErrorCode, errors } from '../../kernel/errors.js';
import type { MediaRepository } from './media.repository.js';
import { VARIANT_ORIGINAL, type MediaService } from './media.service.js';
import { KIND_IMAGE, STATUS_READY, type GrantRow, type MediaRow } from './media.tables.js';

/**
 * The files of stickers (表情包). A user's sticker holds the user's own copy of an image (made
 * as "save to My files" makes it, counted in their quota); an installed pack holds copies of
 * the installer's files that the pack owns (its id as the owner), so they outlive the
 * installer's account and are freed when the pack is removed and nothing else holds them.
 * The hold is a grant (contracts/stickers.ts): the user in `sender_id`,
 * or the pack again for a pack, as an avatar's holder (ids are unique, so no user's sticker
 * can pass for a pack).
 */
const MIMES = new Set(['image/jpeg', 'image/png', 'image/gif', 'image/webp']);

/** A user's sticker (`userId` set) or a pack (`userId` empty). */
export interface StickerHolder {
  holderId: string;
  userId: string;
}

export const stickerGrant = (h: StickerHolder, mediaId: string): GrantRow => ({
  mediaId,
  convId: h.holderId,
  senderId: h.userId || h.holderId,
  clientMsgId: STICKER_HOLD,
});

/** STICKER_NOT_IMAGE or STICKER_TOO_LARGE unless `m` may be a sticker. */
export function checkStickerFile(m: MediaRow): void {
  if (m.kind !== KIND_IMAGE || !MIMES.has(m.mime))
    throw new AppError(ErrorCode.STICKER_NOT_IMAGE, 'only JPEG, PNG, GIF and WebP images can be stickers');
  if (m.size > STICKER_MAX_BYTES)
    throw new AppError(ErrorCode.STICKER_TOO_LARGE, 'a sticker is at most 1 MB');
  if (m.status !== STATUS_READY)
    throw new AppError(ErrorCode.MEDIA_NOT_READY, 'the image is still being processed');
}

export class StickerFiles {
  constructor(
    private readonly service: MediaService,
    private readonly repo: MediaRepository,
    private readonly now: () => number,
  ) {}

  /**
   * Holds a file for a sticker: one a message carries (`message`, the message module decided
   * the user sees it) or `ownerId`'s own upload. A user's sticker holds the user's own copy.
   */
  async hold(h: StickerHolder, mediaId: string, message: GrantRow | undefined, ownerId: string) {
    const m = message
      ? await this.service.granted(message)
      : await this.service.own(ownerId, mediaId).catch((e: unknown) => {
          throw e instanceof AppError && e.code === ErrorCode.PERMISSION_DENIED
            ? errors.notFound('no such image of yours')
            : e;
        });
    checkStickerFile(m);
    // A pack keeps a copy of its own (owned by the pack's id), so the installer's account,
    // deleted later with its files, takes none of the pack's images with it.
    const kept: MediaRow = await this.service.ownCopy(h.userId || h.holderId, m);
    await this.repo.addGrant(stickerGrant(h, kept.id), this.now());
    return kept;
  }

  /** URLs of the originals, '' for a file the holder does not hold. */
  async sign(files: { holder: StickerHolder; mediaId: string }[]) {
    if (files.length > 500) throw errors.invalidArgument('at most 500 files at once', 'files');
    let expiresAtMs = this.now();
    const urls: string[] = [];
    for (const f of files) {
      const r = await this.service
        .signForMessage(stickerGrant(f.holder, f.mediaId), VARIANT_ORIGINAL, false)
        .catch(() => undefined);
      urls.push(r?.url ?? '');
      if (r) expiresAtMs = r.expiresAtMs;
    }
    return { urls, expiresAtMs };
  }

  async release(h: StickerHolder, mediaIds: string[]): Promise<void> {
    if (mediaIds.length > 200) throw errors.invalidArgument('at most 200 files at once', 'mediaIds');
    for (const id of mediaIds) {
      await this.repo.removeGrant(stickerGrant(h, id));
      await this.service.freeIfUnused(id);
    }
  }
}
