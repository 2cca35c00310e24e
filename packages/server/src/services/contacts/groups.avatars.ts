import type { Client } from '@connectrpc/connect';
import type { media as mediaPb } from '@mychat/protocol';
import { avatarPath, heldAvatarId } from '../../contracts/avatars.js';
import type { Actor } from './contacts.peers.js';
import { groupRules } from './groups.permissions.js';
import type { GroupsService, GroupView } from './groups.service.js';

/**
 * A group's picture: owners and admins change it. The media service checks and holds the
 * image (the changer's own upload, square); the group keeps the public path it is served
 * at, and the change is a line in the group's chat like a rename. The new picture is held
 * before the group points at it and the old one let go only after.
 */
export class GroupPictures {
  constructor(
    private readonly groups: GroupsService,
    private readonly media: Pick<Client<typeof mediaPb.MediaInternalService>, 'holdAvatar'>,
  ) {}

  async set(actor: Actor, groupId: string, mediaId: string): Promise<GroupView> {
    const before = await this.groups.get(actor, groupId);
    groupRules.manage(before.role);
    const previous = heldAvatarId(groupId, before.group.avatarUrl);
    if (mediaId) await this.media.holdAvatar({ holderId: groupId, uploaderId: actor.userId, mediaId });
    let view: GroupView;
    try {
      view = await this.groups.update(actor, groupId, {
        avatarUrl: mediaId ? avatarPath(groupId, mediaId) : '',
      });
    } catch (err) {
      if (mediaId && mediaId !== previous) await this.release(groupId, actor.userId, mediaId);
      throw err;
    }
    if (previous && previous !== mediaId) await this.release(groupId, actor.userId, previous);
    return view;
  }

  private async release(groupId: string, userId: string, mediaId: string): Promise<void> {
    await this.media.holdAvatar({ holderId: groupId, uploaderId: userId, previousMediaId: mediaId });
  }
}
