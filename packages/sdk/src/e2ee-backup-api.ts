/**
 * Making the key backup and checking its current passphrase (docs/security.md, section 5):
 * the halves of `E2ee.createBackup` that talk to the keys service.
 */
import type { Client } from '@connectrpc/connect';
import type { keys as pb } from '@mychat/protocol';
import { openBackup, sealBackup, type KdfParams } from './e2ee-backup.js';
import { equalBytes, exportPair, importPair, newPair, signDevice, type KeyPair } from './e2ee-crypto.js';
import type { OwnKeys } from './e2ee-keys.js';
import { MyChatError } from './errors.js';

/** What the backup code needs of E2ee. */
export interface BackupDeps {
  rpc: Client<typeof pb.KeysService>;
  call<T>(fn: (h: { headers: Record<string, string> }) => Promise<T>): Promise<T>;
  own(): Promise<{ userId: string; own: OwnKeys }>;
  /** Keeps the backup keys on this device and forgets the fetched keys of `userId`. */
  saved(userId: string, backups: KeyPair[]): Promise<void>;
  kdf: KdfParams;
}

export interface BackupOptions {
  /**
   * The passphrase (or recovery key) of the backup the account has: needed to replace it
   * (missing or wrong: E2EE_WRONG_PASSPHRASE). Not needed for the first backup.
   */
  current?: string;
  /** Adds a new backup key (older ones stay in the backup for older messages). */
  rotate?: boolean;
  /**
   * The current passphrase is lost: a backup with a new backup key only, the old ones left out
   * (a device restored from it reads nothing sent before).
   */
  forgotten?: boolean;
}

const fail = (message: string, reason: string) => new MyChatError(message, reason);

/**
 * The backup keys of the stored backup, opened with `current`; [] when there is no backup.
 * E2EE_WRONG_PASSPHRASE when there is one and `current` is missing or does not open it.
 */
export async function currentBackupKeys(d: BackupDeps, current: string | undefined): Promise<KeyPair[]> {
  let blob: Uint8Array;
  try {
    blob = (await d.call((h) => d.rpc.getBackup({}, h))).backup;
  } catch (err) {
    if (err instanceof MyChatError && err.reason === 'E2EE_NO_BACKUP') return [];
    throw err;
  }
  const secrets = current === undefined ? undefined : await openBackup(blob, current);
  if (!secrets)
    throw fail('the current backup passphrase (or recovery key) is needed', 'E2EE_WRONG_PASSPHRASE');
  return Promise.all(secrets.backups.map((b) => importPair('X25519', b, true)));
}

export async function makeBackup(d: BackupDeps, passphrase: string, opts: BackupOptions): Promise<void> {
  if (passphrase.length < 10)
    throw fail('a backup passphrase has at least 10 characters', 'E2EE_WEAK_PASSPHRASE');
  const { userId, own } = await d.own();
  const old = opts.forgotten ? [] : await currentBackupKeys(d, opts.current);
  // This device's keys the backup lacks, then the backup's own (its current key stays last).
  const mineOnly = opts.forgotten
    ? []
    : own.backups.filter((b) => !old.some((o) => equalBytes(o.publicKey, b.publicKey)));
  const known = [...mineOnly, ...old];
  const backups = known.length && !opts.rotate ? known : [...known, await newPair('X25519')];
  const newest = backups[backups.length - 1]!;
  const signature = await signDevice(own.identity, userId, 'backup', newest.publicKey);
  // The one path where private keys leave WebCrypto as bytes: sealed at once under the passphrase.
  const secrets = {
    identity: await exportPair(own.identity),
    backups: await Promise.all(backups.map(exportPair)),
  };
  const blob = await sealBackup(secrets, passphrase, d.kdf);
  await d.call((h) => d.rpc.putBackup({ backup: blob }, h));
  const device = { deviceId: 'backup', publicKey: newest.publicKey, signature };
  await d.call((h) => d.rpc.registerDevice({ device }, h));
  // Forgotten: this device keeps the old keys (they open what it holds), the backup does not.
  await d.saved(userId, opts.forgotten ? [...own.backups, ...backups] : backups);
}
