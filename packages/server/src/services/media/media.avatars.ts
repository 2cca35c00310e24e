import { AppError, ErrorCode, errors } from '../../kernel/errors.js';
import type { MediaRepository } from './media.repository.js';
import { VARIANT_THUMBNAIL, type MediaService } from './media.service.js';
import { KIND_IMAGE, STATUS_READY, type GrantRow, type MediaRow } from './media.tables.js';

/**
 * Profile pictures of people and groups. A picture is held like a moment's file: a grant
 * whose `client_msg_id` is a marker no client message id can spell ('#'), with the holder
 * (a person or a group) in `conv_id` and `sender_id`, so a chat grant never reaches a
 * picture and a picture never reaches a chat's file. Who may change a picture is auth's
 * (a person's own) or contacts' (owners and admins of a group) decision.
 */
const AVATAR = '#avatar';

export const avatarGrant = (holderId: string, mediaId: string): GrantRow => ({
  mediaId,
  convId: holderId,
  senderId: holderId,
  clientMsgId: AVATAR,
});

/** Width and height may differ by at most this share (a crop rounded to whole pixels). */
const SQUARE_TOLERANCE = 0.01;

export class AvatarFiles {
  constructor(
    private readonly service: MediaService,
    private readonly repo: MediaRepository,
    private readonly now: () => number,
  ) {}

  /**
   * Checks the new picture (the uploader's ready, square image that has a thumbnail), records
   * that `holderId` holds it, then lets go of the previous one. Idempotent: holding the
   * same picture again changes nothing.
   */
  async hold(
    holderId: string,
    uploaderId: string,
    mediaId: string,
    previousId: string,
  ): Promise<MediaRow | undefined> {
    let m: MediaRow | undefined;
    if (mediaId) {
      m = await this.service.own(uploaderId, mediaId).catch((e: unknown) => {
        throw e instanceof AppError && e.code === ErrorCode.PERMISSION_DENIED
          ? errors.permissionDenied('a picture must be an image you uploaded')
          : e;
      });
      if (m.kind !== KIND_IMAGE || !m.thumbKey)
        throw errors.invalidArgument('a picture must be an image', 'mediaId');
      if (m.status !== STATUS_READY)
        throw new AppError(ErrorCode.MEDIA_NOT_READY, 'the image is still being processed');
      const side = Math.max(m.width, m.height);
      if (!side || Math.abs(m.width - m.height) > side * SQUARE_TOLERANCE)
        throw errors.invalidArgument('a picture must be square: crop it first', 'mediaId');
      await this.repo.addGrant(avatarGrant(holderId, m.id), this.now());
    }
    if (previousId && previousId !== mediaId) {
      await this.repo.removeGrant(avatarGrant(holderId, previousId));
      await this.service.freeIfUnused(previousId);
    }
    return m;
  }

  /** A short-lived URL of the thumbnail of a picture `holderId` holds; NOT_FOUND for any other file. */
  sign(holderId: string, mediaId: string) {
    return this.service.signForMessage(avatarGrant(holderId, mediaId), VARIANT_THUMBNAIL, false);
  }
}
