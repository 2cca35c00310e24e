import type { ServiceImpl } from '@connectrpc/connect';
import type { admin as pb } from '@mychat/protocol';
import { AppError, ErrorCode, errors } from '../../kernel/errors.js';
import { parseId } from '../../kernel/ids.js';
import { parseReason, ROLE_ADMIN, ROLE_MODERATOR } from './admin.access.js';
import { accountMsg, ts, type AdminParts } from './admin.peers.js';
import { purgeAccount } from './admin.purge.js';

type UserMethods =
  | 'getConsoleAccess'
  | 'confirmPassword'
  | 'getDashboard'
  | 'searchAccounts'
  | 'listAccountDevices'
  | 'setAccountDisabled'
  | 'resetAccountPassword'
  | 'deleteAccount'
  | 'setAccountRole'
  | 'inspectGroup'
  | 'dissolveGroup'
  | 'transferGroup';

const notSelf = (what: string) =>
  new AppError(ErrorCode.ADMIN_SELF_ACTION, `you cannot ${what} your own account from the console`);

/** AdminService: access, the dashboard, users and groups. */
export function adminUsersRpc(p: AdminParts): Pick<ServiceImpl<typeof pb.AdminService>, UserMethods> {
  const { access, peers } = p;
  const auth = peers.auth.directory;
  const contacts = peers.contacts.internal;
  const account = async (userId: string) => {
    const a = (await auth.getAccounts({ userIds: [userId] })).accounts[0];
    if (!a) throw errors.notFound('no such account');
    return a;
  };
  const groupInfo = async (groupId: string) => {
    const g = await contacts.adminGetGroup({ groupId });
    return {
      id: g.group?.id ?? groupId,
      name: g.group?.name ?? '',
      ownerId: g.group?.ownerId ?? '',
      announcement: g.group?.announcement ?? '',
      ...(g.group?.createdAt && { createdAt: g.group.createdAt }),
      members: g.members.map((m) => ({
        userId: m.user?.id ?? '',
        nickname: m.user?.nickname ?? '',
        role: m.role,
      })),
    };
  };
  return {
    async getConsoleAccess(_req, ctx) {
      const op = await access.operator(ctx, ROLE_MODERATOR);
      return { role: op.role, userId: op.userId, stepUpUntil: ts(await access.stepUpUntil(op)) };
    },
    async confirmPassword(req, ctx) {
      const op = await access.operator(ctx, ROLE_MODERATOR);
      const until = await access.confirm(op, req.password);
      await access.audit(op, 'step_up', `user:${op.userId}`, 'password confirmed');
      return { stepUpUntil: ts(until) };
    },
    async getDashboard(_req, ctx) {
      await access.operator(ctx, ROLE_MODERATOR);
      const [live, storage, counts, open] = await Promise.all([
        p.dashboard.read(),
        peers.media.internal.getStorageUsage({}),
        auth.countAccounts({}),
        p.repo.openReports(),
      ]);
      return {
        usersOnline: String(live.online),
        messagesPerSecond: live.perSecond,
        messagesTotal: String(live.sent),
        storageBytes: storage.bytes,
        storedFiles: storage.files,
        accounts: counts.accounts,
        disabledAccounts: counts.disabled,
        openReports: String(open),
      };
    },
    async searchAccounts(req, ctx) {
      await access.operator(ctx, ROLE_ADMIN);
      const r = await auth.searchAccounts({ query: req.query, limit: req.limit });
      return { accounts: r.accounts.map(accountMsg) };
    },
    async listAccountDevices(req, ctx) {
      await access.operator(ctx, ROLE_ADMIN);
      const r = await auth.accountSessions({ userId: parseId(req.userId, 'userId') });
      return {
        devices: r.sessions.map((s) => ({
          sessionId: s.sessionId,
          clientType: s.device?.clientType ?? '',
          deviceId: s.device?.deviceId ?? '',
          name: s.device?.name ?? '',
          ...(s.createdAt && { createdAt: s.createdAt }),
          ...(s.lastActiveAt && { lastActiveAt: s.lastActiveAt }),
        })),
      };
    },
    async setAccountDisabled(req, ctx) {
      const op = await access.operator(ctx, ROLE_ADMIN);
      const userId = parseId(req.userId, 'userId');
      const reason = parseReason(req.reason);
      if (userId === op.userId) throw notSelf('disable');
      await access.requireStepUp(op);
      await account(userId);
      const r = await auth.setAccountDisabled({ userId, disabled: req.disabled });
      await access.audit(op, req.disabled ? 'user.disable' : 'user.enable', `user:${userId}`, reason);
      return { account: r.account && accountMsg(r.account) };
    },
    async resetAccountPassword(req, ctx) {
      const op = await access.operator(ctx, ROLE_ADMIN);
      const userId = parseId(req.userId, 'userId');
      const reason = parseReason(req.reason);
      await access.requireStepUp(op);
      const r = await auth.forceResetPassword({ userId });
      await access.audit(op, 'user.reset_password', `user:${userId}`, reason);
      return { temporaryPassword: r.temporaryPassword };
    },
    async deleteAccount(req, ctx) {
      const op = await access.operator(ctx, ROLE_ADMIN);
      const userId = parseId(req.userId, 'userId');
      const reason = parseReason(req.reason);
      if (userId === op.userId) throw notSelf('delete');
      await access.requireStepUp(op);
      await account(userId);
      await purgeAccount(p, userId, op.requestId);
      await access.audit(op, 'user.delete', `user:${userId}`, reason);
      return {};
    },
    async setAccountRole(req, ctx) {
      const op = await access.operator(ctx, ROLE_ADMIN);
      const userId = parseId(req.userId, 'userId');
      const reason = parseReason(req.reason);
      if (![0, ROLE_MODERATOR, ROLE_ADMIN].includes(req.role))
        throw errors.invalidArgument('role must be none, moderator or admin', 'role');
      if (userId === op.userId) throw notSelf('change the role of');
      await access.requireStepUp(op);
      await account(userId);
      const r = await auth.setAccountRole({ userId, role: req.role });
      await access.audit(
        op,
        `user.role.${['none', 'moderator', 'admin'][req.role]}`,
        `user:${userId}`,
        reason,
      );
      return { account: r.account && accountMsg(r.account) };
    },
    async inspectGroup(req, ctx) {
      await access.operator(ctx, ROLE_MODERATOR);
      return { group: await groupInfo(parseId(req.groupId, 'groupId')) };
    },
    async dissolveGroup(req, ctx) {
      const op = await access.operator(ctx, ROLE_ADMIN);
      const groupId = parseId(req.groupId, 'groupId');
      const reason = parseReason(req.reason);
      await access.requireStepUp(op);
      await contacts.adminDissolveGroup({ groupId, actorId: op.userId, requestId: op.requestId });
      await access.audit(op, 'group.dissolve', `group:${groupId}`, reason);
      return {};
    },
    async transferGroup(req, ctx) {
      const op = await access.operator(ctx, ROLE_ADMIN);
      const groupId = parseId(req.groupId, 'groupId');
      const newOwnerId = parseId(req.newOwnerId, 'newOwnerId');
      const reason = parseReason(req.reason);
      await access.requireStepUp(op);
      await contacts.adminTransferGroup({ groupId, newOwnerId, actorId: op.userId, requestId: op.requestId });
      await access.audit(op, 'group.transfer', `group:${groupId}`, `${reason} (to ${newOwnerId})`);
      return { group: await groupInfo(groupId) };
    },
  };
}
