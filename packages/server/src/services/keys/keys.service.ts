import { createPublicKey, verify } from 'node:crypto';
import { AppError, ErrorCode, errors } from '../../kernel/errors.js';
import type { Clock } from '../../kernel/clock.js';
import type { Logger } from '../../kernel/logger.js';
import type { KeysConfig } from './keys.config.js';
import type { DeviceRow, KeysRepository } from './keys.repository.js';

/** Largest stored backup (salt, parameters, nonce and two sealed private keys fit in 1 KiB). */
export const MAX_BACKUP_BYTES = 4096;
const DEVICE_ID = /^(?:[0-9a-f]{32}|backup)$/;
/** DER header of an Ed25519 SubjectPublicKeyInfo; the 32 raw bytes follow. */
const ED25519_SPKI = Buffer.from('302a300506032b6570032100', 'hex');

/** The bytes a device's signature covers (docs/security.md, section 2). */
export function deviceSignedBytes(userId: string, deviceId: string, publicKey: Uint8Array): Buffer {
  return Buffer.concat([Buffer.from(`mychat-e2ee/device/v1\n${userId}\n${deviceId}\n`), publicKey]);
}

const badKey = (message: string, field: string) => new AppError(ErrorCode.E2EE_BAD_KEY, message, { field });

/**
 * Public keys of encrypted chats. Stores only what a client publishes for others to check:
 * it verifies device signatures so that nothing unsigned is handed out, but clients check them
 * again and never rely on this.
 */
export class KeysService {
  constructor(
    private readonly d: { repo: KeysRepository; clock: Clock; logger: Logger; config: KeysConfig },
  ) {}

  async publishIdentity(userId: string, key: Uint8Array, replace: boolean): Promise<{ replaced: boolean }> {
    if (key.length !== 32) throw badKey('an identity key is 32 bytes (Ed25519)', 'identityKey');
    ed25519Key(key, 'identityKey');
    const stored = await this.d.repo.identity(userId);
    if (stored?.equals(key)) return { replaced: false };
    if (stored && !replace)
      throw new AppError(
        ErrorCode.E2EE_IDENTITY_EXISTS,
        'another identity key is published; replacing it (replace) removes every device and the backup',
        { field: 'identityKey' },
      );
    await this.d.repo.setIdentity(userId, key, this.d.clock.now(), stored !== undefined);
    if (stored) this.d.logger.info({ user_id: userId }, 'keys: identity key replaced');
    return { replaced: stored !== undefined };
  }

  async registerDevice(
    userId: string,
    device: { deviceId: string; publicKey: Uint8Array; signature: Uint8Array },
  ): Promise<void> {
    if (!DEVICE_ID.test(device.deviceId))
      throw errors.invalidArgument('deviceId is 32 lower-case hex characters or "backup"', 'device.deviceId');
    if (device.publicKey.length !== 32) throw badKey('a device key is 32 bytes (X25519)', 'device.publicKey');
    if (device.signature.length !== 64) throw badKey('a signature is 64 bytes (Ed25519)', 'device.signature');
    const identity = await this.d.repo.identity(userId);
    if (!identity)
      throw new AppError(ErrorCode.E2EE_NO_IDENTITY, 'publish the identity key before any device');
    const signed = deviceSignedBytes(userId, device.deviceId, device.publicKey);
    if (!verify(null, signed, ed25519Key(identity, 'identityKey'), device.signature))
      throw new AppError(
        ErrorCode.E2EE_BAD_SIGNATURE,
        'the device key is not signed by this account’s identity key',
        { field: 'device.signature' },
      );
    if (await this.d.repo.wasRemoved(userId, device.deviceId, device.publicKey))
      throw new AppError(
        ErrorCode.E2EE_DEVICE_REMOVED,
        'this device was removed: a removed device stays removed (set it up again as a new device)',
        { field: 'device' },
      );
    const row: DeviceRow = {
      deviceId: device.deviceId,
      publicKey: Buffer.from(device.publicKey),
      signature: Buffer.from(device.signature),
      createdAt: this.d.clock.now(),
    };
    if (!(await this.d.repo.putDevice(userId, row, this.d.config.maxDevices)))
      throw new AppError(
        ErrorCode.E2EE_TOO_MANY_DEVICES,
        `at most ${this.d.config.maxDevices} devices; remove one first`,
      );
  }

  async removeDevice(userId: string, deviceId: string): Promise<void> {
    if (!DEVICE_ID.test(deviceId)) throw errors.invalidArgument('no such device', 'deviceId');
    if (!(await this.d.repo.removeDevice(userId, deviceId, this.d.clock.now())))
      throw errors.notFound('no such device');
  }

  /** A user's identity key, devices in use and removed devices (kept to open what they sent). */
  async userKeys(
    userId: string,
  ): Promise<{ identityKey: Uint8Array; devices: DeviceRow[]; removed: DeviceRow[] }> {
    const identityKey = await this.d.repo.identity(userId);
    if (!identityKey) return { identityKey: new Uint8Array(), devices: [], removed: [] };
    const all = await this.d.repo.devices(userId);
    return {
      identityKey,
      devices: all.filter((d) => d.removedAt === undefined),
      removed: all.filter((d) => d.removedAt !== undefined),
    };
  }

  async putBackup(userId: string, data: Uint8Array): Promise<void> {
    if (data.length < 1 || data.length > MAX_BACKUP_BYTES)
      throw new AppError(ErrorCode.PAYLOAD_TOO_LARGE, `a backup is 1-${MAX_BACKUP_BYTES} bytes`, {
        field: 'backup',
      });
    await this.d.repo.putBackup(userId, data, this.d.clock.now());
  }

  async backup(userId: string): Promise<{ data: Uint8Array; updatedAt: number }> {
    const b = await this.d.repo.backup(userId);
    if (!b) throw new AppError(ErrorCode.E2EE_NO_BACKUP, 'no key backup is stored');
    return b;
  }
}

function ed25519Key(raw: Uint8Array, field: string) {
  try {
    return createPublicKey({ key: Buffer.concat([ED25519_SPKI, raw]), format: 'der', type: 'spki' });
  } catch {
    throw badKey('not an Ed25519 public key', field);
  }
}
