import type { Kysely } from 'kysely';
import { asNum, isUniqueViolation, type SqlDatabase } from '../../adapters/sql/sql.js';
import type { KeysTables } from './keys.tables.js';

export interface DeviceRow {
  deviceId: string;
  publicKey: Buffer;
  signature: Buffer;
  createdAt: number;
  /** When the device was removed; undefined for a device in use. */
  removedAt?: number;
}

const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64');
const bytes = (s: string) => Buffer.from(s, 'base64');

/** The keys service's tables: public keys as base64 text, the same on every engine. */
export class KeysRepository {
  constructor(private readonly db: Kysely<KeysTables>) {}

  static of(sql: SqlDatabase): KeysRepository {
    return new KeysRepository(sql.db as Kysely<KeysTables>);
  }

  async identity(userId: string): Promise<Buffer | undefined> {
    const r = await this.db
      .selectFrom('keys_identities')
      .select('identity_key')
      .where('user_id', '=', userId)
      .executeTakeFirst();
    return r && bytes(r.identity_key);
  }

  /**
   * Sets the identity key. A new key (not the first) removes every device and the backup:
   * they were signed by, or hold, the old one.
   */
  async setIdentity(userId: string, key: Uint8Array, now: number, replacing: boolean): Promise<void> {
    await this.db.transaction().execute(async (tx) => {
      if (replacing) {
        await tx.deleteFrom('keys_devices').where('user_id', '=', userId).execute();
        await tx.deleteFrom('keys_backups').where('user_id', '=', userId).execute();
        await tx
          .updateTable('keys_identities')
          .set({ identity_key: b64(key), updated_at: now })
          .where('user_id', '=', userId)
          .execute();
      } else {
        await tx
          .insertInto('keys_identities')
          .values({ user_id: userId, identity_key: b64(key), updated_at: now })
          .execute();
      }
    });
  }

  async devices(userId: string): Promise<DeviceRow[]> {
    const rows = await this.db
      .selectFrom('keys_devices')
      .selectAll()
      .where('user_id', '=', userId)
      .orderBy('created_at')
      .orderBy('device_id')
      .execute();
    return rows.map((r) => ({
      deviceId: r.device_id,
      publicKey: bytes(r.public_key),
      signature: bytes(r.signature),
      createdAt: asNum(r.created_at),
      ...(r.removed_at !== null && { removedAt: asNum(r.removed_at) }),
    }));
  }

  /**
   * Whether a removed device of the user has this id or this key. The backup's id is taken
   * again by each new backup key: only its key counts.
   */
  async wasRemoved(userId: string, deviceId: string, publicKey: Uint8Array): Promise<boolean> {
    const r = await this.db
      .selectFrom('keys_devices')
      .select('device_id')
      .where('user_id', '=', userId)
      .where('removed_at', 'is not', null)
      .where((eb) =>
        eb.or([
          eb('public_key', '=', b64(publicKey)),
          ...(deviceId === 'backup' ? [] : [eb('device_id', '=', deviceId)]),
        ]),
      )
      .executeTakeFirst();
    return r !== undefined;
  }

  /** Adds a device or replaces its key; false when another device was added meanwhile past `max`. */
  async putDevice(userId: string, d: DeviceRow, max: number): Promise<boolean> {
    const values = { public_key: b64(d.publicKey), signature: b64(d.signature) };
    return this.db.transaction().execute(async (tx) => {
      const updated = await tx
        .updateTable('keys_devices')
        .set({ ...values, created_at: d.createdAt, removed_at: null })
        .where('user_id', '=', userId)
        .where('device_id', '=', d.deviceId)
        .executeTakeFirst();
      if (Number(updated.numUpdatedRows) > 0) return true;
      const n = await tx
        .selectFrom('keys_devices')
        .select((eb) => eb.fn.countAll<number | string>().as('n'))
        .where('user_id', '=', userId)
        .where('removed_at', 'is', null)
        .executeTakeFirstOrThrow();
      if (asNum(n.n) >= max) return false;
      try {
        await tx
          .insertInto('keys_devices')
          .values({
            user_id: userId,
            device_id: d.deviceId,
            ...values,
            created_at: d.createdAt,
            removed_at: null,
          })
          .execute();
      } catch (err) {
        if (!isUniqueViolation(err)) throw err;
      }
      return true;
    });
  }

  /** Marks a device removed (its key stays); false when there is no such device in use. */
  async removeDevice(userId: string, deviceId: string, now: number): Promise<boolean> {
    const r = await this.db
      .updateTable('keys_devices')
      .set({ removed_at: now })
      .where('user_id', '=', userId)
      .where('device_id', '=', deviceId)
      .where('removed_at', 'is', null)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  async putBackup(userId: string, data: Uint8Array, now: number): Promise<void> {
    await this.db.transaction().execute(async (tx) => {
      await tx.deleteFrom('keys_backups').where('user_id', '=', userId).execute();
      await tx
        .insertInto('keys_backups')
        .values({ user_id: userId, data: b64(data), updated_at: now })
        .execute();
    });
  }

  async backup(userId: string): Promise<{ data: Buffer; updatedAt: number } | undefined> {
    const r = await this.db
      .selectFrom('keys_backups')
      .selectAll()
      .where('user_id', '=', userId)
      .executeTakeFirst();
    return r && { data: bytes(r.data), updatedAt: asNum(r.updated_at) };
  }
}
