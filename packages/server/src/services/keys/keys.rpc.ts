import type { ServiceImpl } from '@connectrpc/connect';
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import type { keys as pb } from '@mychat/protocol';
import { errors } from '../../kernel/errors.js';
import { parseId } from '../../kernel/ids.js';
import { requireCaller } from '../../rpc/call-context.js';
import type { DeviceRow } from './keys.repository.js';
import type { KeysService } from './keys.service.js';

/** KeysService over the wire: every method acts for the authenticated caller. */
export function keysRpc(keys: KeysService): ServiceImpl<typeof pb.KeysService> {
  return {
    async publishIdentity(req, ctx) {
      return keys.publishIdentity(requireCaller(ctx).userId, req.identityKey, req.replace);
    },
    async registerDevice(req, ctx) {
      if (!req.device) throw errors.invalidArgument('device is required', 'device');
      await keys.registerDevice(requireCaller(ctx).userId, req.device);
      return {};
    },
    async removeDevice(req, ctx) {
      await keys.removeDevice(requireCaller(ctx).userId, req.deviceId);
      return {};
    },
    async getUserKeys(req, ctx) {
      requireCaller(ctx);
      const r = await keys.userKeys(parseId(req.userId, 'userId'));
      const wire = (d: DeviceRow) => ({
        deviceId: d.deviceId,
        publicKey: d.publicKey,
        signature: d.signature,
        createdAt: timestampFromMs(d.createdAt),
        ...(d.removedAt !== undefined && { removedAt: timestampFromMs(d.removedAt) }),
      });
      return {
        identityKey: r.identityKey,
        devices: r.devices.map(wire),
        removedDevices: r.removed.map(wire),
      };
    },
    async putBackup(req, ctx) {
      await keys.putBackup(requireCaller(ctx).userId, req.backup);
      return {};
    },
    async getBackup(_req, ctx) {
      const b = await keys.backup(requireCaller(ctx).userId);
      return { backup: b.data, updatedAt: timestampFromMs(b.updatedAt) };
    },
  };
}
