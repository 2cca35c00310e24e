import { errors } from '../../kernel/errors.js';
import type { MediaRepository } from './media.repository.js';
import type { MediaService } from './media.service.js';
import type { GrantRow, MediaRow } from './media.tables.js';

/**
 * What holds files for the moments service: a post of `ownerId`, or (no `momentId`) their
 * album cover. Stored as grants beside the messages' ones: the post (or the owner, for the
 * cover) in `conv_id`, the owner in `sender_id` and a marker in `client_msg_id` that no
 * client message id can spell (they never hold '#'), so a chat grant can never reach a
 * moment's file or the other way round.
 */
export interface MomentHolder {
  ownerId: string;
  momentId: string;
}

const POST = '#moment';
const COVER = '#cover';

export const momentGrant = (h: MomentHolder, mediaId: string): GrantRow => ({
  mediaId,
  convId: h.momentId || h.ownerId,
  senderId: h.ownerId,
  clientMsgId: h.momentId ? POST : COVER,
});

/**
 * The moments service's files. Moments decides who may see a post (and so its files), as
 * message does for chats; media checks that the files are the owner's and ready, records
 * what holds them so the orphan sweep leaves them alone, and signs URLs for held files only.
 */
export class MomentFiles {
  constructor(
    private readonly service: MediaService,
    private readonly repo: MediaRepository,
  ) {}

  /** Checks each file (the owner's, ready, of `kind`) and records that `holder` holds them. */
  attach(holder: MomentHolder, mediaIds: string[], kind: number): Promise<MediaRow[]> {
    const g = momentGrant(holder, '');
    return this.service.attach({
      senderId: holder.ownerId,
      convId: g.convId,
      clientMsgId: g.clientMsgId,
      mediaIds,
      kind,
    });
  }

  /** A URL for a file `holder` holds; NOT_FOUND for any other. */
  sign(holder: MomentHolder, mediaId: string, variant: number, download: boolean) {
    return this.service.signForMessage(momentGrant(holder, mediaId), variant, download);
  }

  /** `holder` lets go of the files; each is freed when nothing else holds it. */
  async detach(holder: MomentHolder, mediaIds: string[]): Promise<void> {
    if (mediaIds.length > 9) throw errors.invalidArgument('at most 9 files at once', 'mediaIds');
    for (const id of mediaIds) {
      await this.repo.removeGrant(momentGrant(holder, id));
      await this.service.freeIfUnused(id);
    }
  }
}
