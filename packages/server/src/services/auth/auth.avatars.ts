import type { Client } from '@connectrpc/connect';
import type { media as mediaPb } from '@mychat/protocol';
import { avatarPath, heldAvatarId } from '../../contracts/avatars.js';
import type { Clock } from '../../kernel/clock.js';
import { errors } from '../../kernel/errors.js';
import type { AuthRepository, UserRow } from './auth.repository.js';

/**
 * A person's profile picture. The media service checks and holds the image (the person's
 * own upload, square); the account keeps the public path it is served at. The new picture
 * is held before the account points at it, and the old one let go only after, so a failure
 * half-way leaves a working picture (at worst one held a little too long).
 */
export class ProfilePictures {
  constructor(
    private readonly repo: AuthRepository,
    private readonly media: Pick<Client<typeof mediaPb.MediaInternalService>, 'holdAvatar'>,
    private readonly clock: Clock,
    /** Tells caches of profiles that the person's picture changed. */
    private readonly profileChanged: (userIds: string[]) => Promise<void>,
  ) {}

  async set(userId: string, mediaId: string): Promise<UserRow> {
    const user = await this.repo.findUser(userId);
    if (!user) throw errors.unauthenticated('this account no longer exists');
    const previous = heldAvatarId(userId, user.avatarUrl);
    if (mediaId) await this.media.holdAvatar({ holderId: userId, uploaderId: userId, mediaId });
    const url = mediaId ? avatarPath(userId, mediaId) : '';
    if (url !== user.avatarUrl) {
      await this.repo.updateProfile(userId, { avatarUrl: url }, this.clock.now());
      await this.profileChanged([userId]);
    }
    await this.release(userId, previous, mediaId);
    return (await this.repo.findUser(userId))!;
  }

  /** After the account stopped pointing at `previous` (a new picture, or an outside URL). */
  async release(userId: string, previous: string, kept = ''): Promise<void> {
    if (previous && previous !== kept)
      await this.media.holdAvatar({ holderId: userId, uploaderId: userId, previousMediaId: previous });
  }
}
