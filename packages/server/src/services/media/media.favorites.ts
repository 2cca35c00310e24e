import { errors } from '../../kernel/errors.js';
import type { MediaRepository } from './media.repository.js';
import type { MediaService } from './media.service.js';
import type { GrantRow, MediaRow } from './media.tables.js';

/**
 * The files of favourites (收藏). A favourite keeps the user's own copy of each file (made
 * as "save to My files" makes it, counted in their quota), held by a grant whose
 * `client_msg_id` is a marker no client message id can spell ('#'), with the favourite in
 * `conv_id` and the user in `sender_id`: the copy outlives the message (recall, the sender
 * leaving, the group dissolving), and a favourite's grant never reaches a chat's file.
 */
const FAVORITE = '#favorite';

export const favoriteGrant = (userId: string, favoriteId: string, mediaId: string): GrantRow => ({
  mediaId,
  convId: favoriteId,
  senderId: userId,
  clientMsgId: FAVORITE,
});

export class FavoriteFiles {
  constructor(
    private readonly service: MediaService,
    private readonly repo: MediaRepository,
    private readonly now: () => number,
  ) {}

  /** The user's copy of a file `message` carries (message decided the user sees it), held by the favourite. */
  async hold(userId: string, favoriteId: string, message: GrantRow): Promise<MediaRow> {
    const seen = await this.service.granted(message);
    const mine = await this.service.ownCopy(userId, seen);
    await this.repo.addGrant(favoriteGrant(userId, favoriteId, mine.id), this.now());
    return mine;
  }

  sign(userId: string, favoriteId: string, mediaId: string, variant: number, download: boolean) {
    return this.service.signForMessage(favoriteGrant(userId, favoriteId, mediaId), variant, download);
  }

  async release(userId: string, favoriteId: string, mediaIds: string[]): Promise<void> {
    if (mediaIds.length > 20) throw errors.invalidArgument('at most 20 files at once', 'mediaIds');
    for (const id of mediaIds) {
      await this.repo.removeGrant(favoriteGrant(userId, favoriteId, id));
      await this.service.freeIfUnused(id);
    }
  }
}
