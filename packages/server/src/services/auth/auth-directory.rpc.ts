import { create } from '@bufbuild/protobuf';
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import type { ServiceImpl } from '@connectrpc/connect';
import { auth } from '@mychat/protocol';
import { AppError, errors } from '../../kernel/errors.js';
import { parseId } from '../../kernel/ids.js';
import type { AuthRepository, UserRow } from './auth.repository.js';
import { charCount, normalizeEmail, normalizePhone } from './auth.validation.js';

/** Limits of the directory's inputs. */
export const DIRECTORY_LIMITS = {
  lookupIds: 500,
  liveSessionIds: 1000,
  query: 254,
  defaultResults: 20,
  maxResults: 50,
  minNicknamePrefix: 2,
} as const;

/** The public face of a user: never the email or phone. */
function publicUser(u: UserRow): auth.User {
  return create(auth.UserSchema, {
    id: u.id,
    nickname: u.nickname,
    avatarUrl: u.avatarUrl,
    signature: u.signature,
    createdAt: timestampFromMs(u.createdAt),
  });
}

/** Parses with a validator, answering undefined instead of its error. */
function attempt<T>(f: () => T): T | undefined {
  try {
    return f();
  } catch (err) {
    if (err instanceof AppError) return undefined;
    throw err;
  }
}

/**
 * What a search query means: an exact email (any text that is a valid address), an exact
 * E.164 phone (starts with +), an exact id (digits only), otherwise a nickname prefix.
 */
export async function find(repo: AuthRepository, query: string, limit: number): Promise<UserRow[]> {
  const q = query.trim();
  if (q.includes('@')) {
    const email = attempt(() => normalizeEmail(q));
    if (email) {
      const u = await repo.findUserByDestination({ kind: 'email', value: email });
      return u ? [u] : [];
    }
  } else if (q.startsWith('+')) {
    const phone = attempt(() => normalizePhone(q));
    const u = phone && (await repo.findUserByDestination({ kind: 'phone', value: phone }));
    return u ? [u] : [];
  } else if (/^\d+$/.test(q)) {
    const id = attempt(() => parseId(q, 'query'));
    const u = id && (await repo.findUser(id));
    return u ? [u] : [];
  }
  // Shorter prefixes would match most of the directory; they answer nothing instead.
  if (charCount(q) < DIRECTORY_LIMITS.minNicknamePrefix) return [];
  return repo.findUsersByNicknamePrefix(q.normalize('NFC'), limit);
}

/**
 * mychat.auth.v1.UserDirectoryService: public profiles for other services. Internal only
 * (the gateway never exposes it); still, it answers public fields only, so a caller that
 * relays its answers to clients cannot leak an email or phone by mistake.
 */
export function userDirectoryRpc(
  repo: AuthRepository,
  now: () => number = Date.now,
): Pick<ServiceImpl<typeof auth.UserDirectoryService>, 'liveSessions' | 'lookupUsers' | 'findUsers'> {
  return {
    async liveSessions(req) {
      if (req.sessionIds.length > DIRECTORY_LIMITS.liveSessionIds) {
        throw errors.invalidArgument(
          `at most ${DIRECTORY_LIMITS.liveSessionIds} sessions per call`,
          'sessionIds',
        );
      }
      const ids = [...new Set(req.sessionIds.map((id) => parseId(id, 'sessionIds')))];
      return { sessionIds: await repo.liveSessionIds(ids, now()) };
    },
    async lookupUsers(req) {
      if (req.userIds.length > DIRECTORY_LIMITS.lookupIds) {
        throw errors.invalidArgument(`at most ${DIRECTORY_LIMITS.lookupIds} ids per lookup`, 'userIds');
      }
      const ids = [...new Set(req.userIds.map((id) => parseId(id, 'userIds')))];
      return { users: (await repo.findUsers(ids)).map(publicUser) };
    },
    async findUsers(req) {
      if (charCount(req.query) > DIRECTORY_LIMITS.query)
        throw errors.tooLong('query', DIRECTORY_LIMITS.query);
      if (req.limit < 0) throw errors.invalidArgument('limit must not be negative', 'limit');
      const limit = Math.min(req.limit || DIRECTORY_LIMITS.defaultResults, DIRECTORY_LIMITS.maxResults);
      return { users: (await find(repo, req.query, limit)).map(publicUser) };
    },
  };
}
