import { create } from '@bufbuild/protobuf';
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import type { ServiceImpl } from '@connectrpc/connect';
import { auth } from '@mychat/protocol';
import { errors } from '../../kernel/errors.js';
import { parseId } from '../../kernel/ids.js';
import type { AccountView, AuthAdmin } from './auth.admin.js';
import { DIRECTORY_LIMITS, find } from './auth-directory.rpc.js';
import type { AuthRepository } from './auth.repository.js';
import { charCount } from './auth.validation.js';

type AdminMethods = Pick<
  ServiceImpl<typeof auth.UserDirectoryService>,
  | 'getAccounts'
  | 'searchAccounts'
  | 'accountSessions'
  | 'setAccountDisabled'
  | 'setAccountRole'
  | 'verifyPassword'
  | 'forceResetPassword'
  | 'purgeAccount'
  | 'countAccounts'
>;

/** An account for the console: unlike the directory's other answers, with email and phone. */
function accountStatus(a: AccountView): auth.AccountStatus {
  const u = a.user;
  return create(auth.AccountStatusSchema, {
    user: {
      id: u.id,
      nickname: u.nickname,
      email: u.email ?? '',
      phone: u.phone ?? '',
      avatarUrl: u.avatarUrl,
      signature: u.signature,
      createdAt: timestampFromMs(u.createdAt),
    },
    role: a.role,
    disabled: a.disabled,
    liveSessions: a.liveSessions,
  });
}

/**
 * The console's methods on UserDirectoryService (internal only). Only the admin service
 * calls them, after checking its caller's role; they answer email and phone for that reason.
 */
export function authAdminRpc(repo: AuthRepository, admin: AuthAdmin): AdminMethods {
  return {
    async getAccounts(req) {
      if (req.userIds.length > DIRECTORY_LIMITS.lookupIds) {
        throw errors.invalidArgument(`at most ${DIRECTORY_LIMITS.lookupIds} ids per lookup`, 'userIds');
      }
      const ids = [...new Set(req.userIds.map((id) => parseId(id, 'userIds')))];
      return { accounts: (await admin.views(await repo.findUsers(ids))).map(accountStatus) };
    },
    async searchAccounts(req) {
      if (charCount(req.query) > DIRECTORY_LIMITS.query)
        throw errors.tooLong('query', DIRECTORY_LIMITS.query);
      if (req.limit < 0) throw errors.invalidArgument('limit must not be negative', 'limit');
      const limit = Math.min(req.limit || DIRECTORY_LIMITS.defaultResults, DIRECTORY_LIMITS.maxResults);
      const users = req.query.trim() ? await find(repo, req.query, limit) : await admin.newest(limit);
      return { accounts: (await admin.views(users)).map(accountStatus) };
    },
    async accountSessions(req) {
      const sessions = await admin.sessions(parseId(req.userId, 'userId'));
      return {
        sessions: sessions.map((s) => ({
          sessionId: s.id,
          device: { clientType: s.clientType, deviceId: s.deviceId, name: s.deviceName },
          createdAt: timestampFromMs(s.createdAt),
          lastActiveAt: timestampFromMs(s.lastActiveAt),
        })),
      };
    },
    async setAccountDisabled(req) {
      return {
        account: accountStatus(await admin.setDisabled(parseId(req.userId, 'userId'), req.disabled)),
      };
    },
    async setAccountRole(req) {
      return { account: accountStatus(await admin.setRole(parseId(req.userId, 'userId'), req.role)) };
    },
    async verifyPassword(req) {
      if (charCount(req.password) > 256) throw errors.tooLong('password', 256);
      await admin.verifyPassword(parseId(req.userId, 'userId'), req.password);
      return {};
    },
    async forceResetPassword(req) {
      return { temporaryPassword: await admin.forceResetPassword(parseId(req.userId, 'userId')) };
    },
    async purgeAccount(req) {
      await admin.purge(parseId(req.userId, 'userId'));
      return {};
    },
    async countAccounts() {
      const c = await admin.counts();
      return { accounts: String(c.accounts), disabled: String(c.disabled) };
    },
  };
}
