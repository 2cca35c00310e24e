import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import type { ServiceImpl } from '@connectrpc/connect';
import type { contacts } from '@mychat/protocol';
import { parseId } from '../../kernel/ids.js';
import { cardMsg, type ContactsAdminMethods } from './contacts.rpc.js';
import type { ContactsAdmin } from './groups.admin.js';

/** ContactsInternalService's methods for the operator's console (the admin service checks roles). */
export function contactsAdminRpc(
  admin: ContactsAdmin,
): Pick<ServiceImpl<typeof contacts.ContactsInternalService>, ContactsAdminMethods> {
  return {
    async adminGetGroup(req) {
      const { group: g, members } = await admin.inspect(parseId(req.groupId, 'groupId'), '');
      return {
        group: {
          id: g.id,
          name: g.name,
          announcement: g.announcement,
          ownerId: g.ownerId,
          memberCount: members.length,
          muted: g.mutedAll,
          createdAt: timestampFromMs(g.createdAt),
        },
        members: members.map((m) => ({
          user: cardMsg(m.user),
          role: m.role,
          joinedAt: timestampFromMs(m.joinedAt),
        })),
      };
    },
    async adminDissolveGroup(req) {
      const actor = { userId: parseId(req.actorId, 'actorId'), sessionId: '', requestId: req.requestId };
      await admin.dissolve(actor, parseId(req.groupId, 'groupId'));
      return {};
    },
    async adminTransferGroup(req) {
      const actor = { userId: parseId(req.actorId, 'actorId'), sessionId: '', requestId: req.requestId };
      await admin.transfer(actor, parseId(req.groupId, 'groupId'), parseId(req.newOwnerId, 'newOwnerId'));
      return {};
    },
    async purgeUser(req) {
      await admin.purgeUser(parseId(req.userId, 'userId'), req.requestId);
      return {};
    },
  };
}
