import { create } from '@bufbuild/protobuf';
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import type { ServiceImpl } from '@connectrpc/connect';
import { auth } from '@mychat/protocol';
import { heldAvatarId } from '../../contracts/avatars.js';
import { errors } from '../../kernel/errors.js';
import { parseId } from '../../kernel/ids.js';
import { callInfo, requireCaller } from '../../rpc/call-context.js';
import type { ProfilePictures } from './auth.avatars.js';
import type { UserRow } from './auth.repository.js';
import type { AuthService, IssuedSession } from './auth.service.js';
import {
  destinationOf,
  LIMITS,
  parseAvatarUrl,
  parseCode,
  parseDevice,
  parseNickname,
  parsePurpose,
  parseSignature,
} from './auth.validation.js';

function userMsg(u: UserRow): auth.User {
  return create(auth.UserSchema, {
    id: u.id,
    nickname: u.nickname,
    email: u.email ?? '',
    phone: u.phone ?? '',
    avatarUrl: u.avatarUrl,
    signature: u.signature,
    createdAt: timestampFromMs(u.createdAt),
  });
}

function sessionMsg(s: IssuedSession): auth.Session {
  return create(auth.SessionSchema, {
    accessToken: s.accessToken,
    refreshToken: s.refreshToken,
    expiresAt: timestampFromMs(s.accessExpiresAt),
    refreshExpiresAt: timestampFromMs(s.refreshExpiresAt),
    sessionId: s.sessionId,
    user: userMsg(s.user),
  });
}

function password(v: string, field: string): string {
  // Refuse absurd input before spending argon2 time on it.
  if (v.length > LIMITS.passwordMax * 4) throw errors.tooLong(field, LIMITS.passwordMax);
  return v;
}

/** The AuthService contract, mapped onto the service: parse and validate, call, shape the answer. */
export function authRpc(
  service: AuthService,
  pictures: ProfilePictures,
): ServiceImpl<typeof auth.AuthService> {
  return {
    async sendVerificationCode(req, ctx) {
      const dest = destinationOf(req.destination);
      const purpose = parsePurpose(req.purpose);
      if (req.locale.length > 16) throw errors.tooLong('locale', 16);
      const r = await service.sendCode(dest, purpose, req.locale, callInfo(ctx).clientIp);
      return { expiresInSeconds: r.expiresIn, resendAfterSeconds: r.resendAfter };
    },
    async register(req, ctx) {
      const dest = destinationOf(req.destination);
      const nickname = parseNickname(req.nickname);
      const device = parseDevice(req.device);
      const s = await service.register({
        dest,
        code: parseCode(req.code),
        password: password(req.password, 'password'),
        nickname,
        device,
        ip: callInfo(ctx).clientIp,
      });
      return { session: sessionMsg(s) };
    },
    async login(req, ctx) {
      const dest = destinationOf(req.destination);
      const device = parseDevice(req.device);
      const c = req.credential;
      if (c.case === undefined) throw errors.invalidArgument('a password or a code is required', 'password');
      const credential =
        c.case === 'code'
          ? { kind: 'code' as const, value: parseCode(c.value) }
          : { kind: 'password' as const, value: password(c.value, 'password') };
      const ip = callInfo(ctx).clientIp;
      return { session: sessionMsg(await service.login({ dest, credential, device, ip })) };
    },
    async refreshSession(req) {
      if (!req.refreshToken) throw errors.invalidArgument('refreshToken is required', 'refreshToken');
      if (req.refreshToken.length > LIMITS.refreshToken)
        throw errors.tooLong('refreshToken', LIMITS.refreshToken);
      return { session: sessionMsg(await service.refresh(req.refreshToken)) };
    },
    async logout(_req, ctx) {
      await service.logout(requireCaller(ctx));
      return {};
    },
    async listDevices(_req, ctx) {
      const caller = requireCaller(ctx);
      const sessions = await service.listDevices(caller);
      return {
        devices: sessions.map((s) => ({
          sessionId: s.id,
          device: { clientType: s.clientType, deviceId: s.deviceId, name: s.deviceName },
          createdAt: timestampFromMs(s.createdAt),
          lastActiveAt: timestampFromMs(s.lastActiveAt),
          current: s.id === caller.sessionId,
        })),
      };
    },
    async revokeDevice(req, ctx) {
      const caller = requireCaller(ctx);
      if (req.sessionId.length > LIMITS.sessionId) throw errors.tooLong('sessionId', LIMITS.sessionId);
      await service.revokeDevice(caller, req.sessionId);
      return {};
    },
    async resetPassword(req, ctx) {
      const dest = destinationOf(req.destination);
      await service.resetPassword(
        dest,
        parseCode(req.code),
        password(req.newPassword, 'newPassword'),
        callInfo(ctx).clientIp,
      );
      return {};
    },
    async changePassword(req, ctx) {
      const caller = requireCaller(ctx);
      await service.changePassword(
        caller,
        password(req.oldPassword, 'oldPassword'),
        password(req.newPassword, 'newPassword'),
      );
      return {};
    },
    async getMe(_req, ctx) {
      return { user: userMsg(await service.getMe(requireCaller(ctx))) };
    },
    async updateProfile(req, ctx) {
      const caller = requireCaller(ctx);
      const patch = {
        ...(req.nickname !== undefined && { nickname: parseNickname(req.nickname) }),
        ...(req.signature !== undefined && { signature: parseSignature(req.signature) }),
        ...(req.avatarUrl !== undefined && { avatarUrl: parseAvatarUrl(req.avatarUrl) }),
      };
      const before = patch.avatarUrl !== undefined ? (await service.getMe(caller)).avatarUrl : '';
      const user = await service.updateProfile(caller, patch);
      // An outside URL replaced a held picture: the picture is let go.
      if (patch.avatarUrl !== undefined)
        await pictures.release(
          caller.userId,
          heldAvatarId(caller.userId, before),
          heldAvatarId(caller.userId, user.avatarUrl),
        );
      return { user: userMsg(user) };
    },
    async setAvatar(req, ctx) {
      const caller = requireCaller(ctx);
      const mediaId = req.mediaId && parseId(req.mediaId, 'mediaId');
      return { user: userMsg(await pictures.set(caller.userId, mediaId)) };
    },
  };
}
