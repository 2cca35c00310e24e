/**
 * This device's keys and what it knows of others' (pinned identity keys, checked device keys),
 * kept in an E2eeKeyStore. Part of `@mychat/sdk/e2ee`.
 */
import type { Client } from '@connectrpc/connect';
import type { keys as pb } from '@mychat/protocol';
import type { Authed } from './chat-backend.js';
import {
  equalBytes,
  exportPair,
  importPair,
  importX25519,
  verifyDevice,
  type KeyPair,
  type StoredPair,
} from './e2ee-crypto.js';

/**
 * Where a device keeps its private keys and its pins: IndexedDB in the web app, a file or a
 * secret store for a bot. Values are plain objects and Uint8Arrays (structured-clone safe), and
 * CryptoKeys when `holdsCryptoKeys`: the device key is then made non-extractable and kept as a
 * CryptoKey (never as bytes), and private keys stored as PKCS#8 bytes are moved over on first open.
 */
export interface E2eeKeyStore {
  readonly holdsCryptoKeys?: boolean;
  get(key: string): Promise<unknown>;
  set(key: string, value: unknown): Promise<void>;
  delete(key: string): Promise<void>;
  /** Optional: several values in one read (one IndexedDB transaction); else `get` for each. */
  getMany?(keys: readonly string[]): Promise<unknown[]>;
  /** Optional: writes and deletes together (one transaction); else one by one. */
  update?(set: ReadonlyArray<readonly [string, unknown]>, del: readonly string[]): Promise<void>;
  /** Optional: deletes every key that starts with `prefix`. */
  deletePrefix?(prefix: string): Promise<void>;
}

/** Keys in memory only: gone with the process (tests, short-lived bots). Holds CryptoKeys. */
export class MemoryKeyStore implements E2eeKeyStore {
  readonly holdsCryptoKeys: boolean;
  /** `bytesOnly`: behave as a store that cannot hold CryptoKeys (a file). */
  constructor(
    private readonly map = new Map<string, unknown>(),
    bytesOnly = false,
  ) {
    this.holdsCryptoKeys = !bytesOnly;
  }
  get(key: string) {
    return Promise.resolve(this.map.get(key));
  }
  set(key: string, value: unknown) {
    this.map.set(key, value);
    return Promise.resolve();
  }
  delete(key: string) {
    this.map.delete(key);
    return Promise.resolve();
  }
  getMany(keys: readonly string[]) {
    return Promise.resolve(keys.map((k) => this.map.get(k)));
  }
  update(set: ReadonlyArray<readonly [string, unknown]>, del: readonly string[]) {
    for (const k of del) this.map.delete(k);
    for (const [k, v] of set) this.map.set(k, v);
    return Promise.resolve();
  }
  deletePrefix(prefix: string) {
    for (const k of [...this.map.keys()]) if (k.startsWith(prefix)) this.map.delete(k);
    return Promise.resolve();
  }
}

/** What this device holds of its own account. */
export interface OwnKeys {
  identity: KeyPair;
  device: { id: string; pair: KeyPair };
  /** The backup key pairs, the current last, when this device made or restored the backup. */
  backups: KeyPair[];
}

/** A peer's pinned identity key (trust on first use) and whether it was compared in person. */
export interface Pin {
  identityKey: Uint8Array;
  verified: boolean;
  /** The server now shows another key than the pinned one: the warning stays until accepted. */
  changedTo?: Uint8Array;
}

/** A device's public key as checked here. */
export interface DeviceKey {
  key: CryptoKey;
  publicKey: Uint8Array;
  createdAt: number;
}

/** One user's public keys as checked here: every device's signature verified. */
export interface UserKeys {
  identityKey: Uint8Array;
  /** The devices to wrap for. */
  devices: Map<string, DeviceKey>;
  /** Removed devices (never wrapped for): they open only what they sent before `removedAt`. */
  removed: Map<string, DeviceKey & { removedAt: number }>;
  at: number;
}

/** The local half: own keys and pins, under the signed-in user's prefix. */
export class LocalKeys {
  /** The loaded keys (imported once, not per message); dropped on every change. */
  private loaded?: Promise<OwnKeys | undefined>;

  /** `loaded`: told the keys each time they are loaded, and undefined when they change. */
  constructor(
    private readonly store: E2eeKeyStore,
    private readonly prefix: string,
    private readonly onLoaded?: (own: OwnKeys | undefined) => void,
  ) {}

  own(): Promise<OwnKeys | undefined> {
    if (!this.loaded) {
      const p = this.load();
      this.loaded = p;
      // Told only while these are still the keys (a change made meanwhile loads anew).
      void p.then(
        (own) => {
          if (this.loaded === p) this.onLoaded?.(own);
        },
        () => undefined,
      );
    }
    return this.loaded;
  }

  /** Whether the device key is kept as a non-extractable CryptoKey (the store holds CryptoKeys). */
  get keepsCryptoKeys(): boolean {
    return this.store.holdsCryptoKeys === true;
  }

  private async load(): Promise<OwnKeys | undefined> {
    const id = (await this.store.get(`${this.prefix}/identity`)) as StoredPair | undefined;
    const dev = (await this.store.get(`${this.prefix}/device`)) as
      { id: string; pair: StoredPair } | undefined;
    if (!id || !dev) return undefined;
    const backups = ((await this.store.get(`${this.prefix}/backups`)) ?? []) as StoredPair[];
    // Identity and backup keys stay extractable: a new backup serializes them (createBackup).
    const own: OwnKeys = {
      identity: await this.fromStored('Ed25519', id, true),
      device: { id: dev.id, pair: await this.fromStored('X25519', dev.pair, false) },
      backups: await Promise.all(backups.map((b) => this.fromStored('X25519', b, true))),
    };
    // PKCS#8 bytes in a store that holds CryptoKeys (kept so before): moved over once.
    if (this.keepsCryptoKeys && [id, dev.pair, ...backups].some((p) => 'priv' in p)) {
      await this.saveOwn({ identity: own.identity, device: own.device, backups: own.backups });
      this.loaded = Promise.resolve(own);
      this.onLoaded?.(own);
    }
    return own;
  }

  private async fromStored(kind: 'Ed25519' | 'X25519', s: StoredPair, backedUp: boolean) {
    if ('key' in s) return { publicKey: s.pub, privateKey: s.key };
    return importPair(kind, s, backedUp || !this.keepsCryptoKeys);
  }

  private async toStored(p: KeyPair): Promise<StoredPair> {
    return this.keepsCryptoKeys ? { pub: p.publicKey, key: p.privateKey } : exportPair(p);
  }

  async saveOwn(s: { identity?: KeyPair; device?: { id: string; pair: KeyPair }; backups?: KeyPair[] }) {
    this.loaded = undefined;
    this.onLoaded?.(undefined);
    if (s.identity) await this.store.set(`${this.prefix}/identity`, await this.toStored(s.identity));
    if (s.device)
      await this.store.set(`${this.prefix}/device`, {
        id: s.device.id,
        pair: await this.toStored(s.device.pair),
      });
    if (s.backups)
      await this.store.set(
        `${this.prefix}/backups`,
        await Promise.all(s.backups.map((b) => this.toStored(b))),
      );
  }

  async forget(): Promise<void> {
    this.loaded = undefined;
    this.onLoaded?.(undefined);
    for (const k of ['identity', 'device', 'backups']) await this.store.delete(`${this.prefix}/${k}`);
  }

  async pin(userId: string): Promise<Pin | undefined> {
    return (await this.store.get(`${this.prefix}/pin/${userId}`)) as Pin | undefined;
  }

  async setPin(userId: string, pin: Pin): Promise<void> {
    await this.store.set(`${this.prefix}/pin/${userId}`, pin);
  }
}

/** Fetches and checks users' public keys, with a short cache; one fetch per user at a time. */
/**
 * A user's checked keys, with the pin compared (and made on first use); `changed` calls back
 * once when the key differs from the pin (the warning).
 */
export async function pinnedKeys(
  directory: KeyDirectory,
  keys: LocalKeys,
  userId: string,
  changed: () => void,
) {
  const k = await directory.get(userId);
  if (!k.identityKey.length) return { keys: k, changed: false };
  const pin = await keys.pin(userId);
  if (!pin) {
    await keys.setPin(userId, { identityKey: k.identityKey, verified: false });
    return { keys: k, changed: false };
  }
  if (samePin(pin, k.identityKey)) return { keys: k, changed: false };
  if (!pin.changedTo || !equalBytes(pin.changedTo, k.identityKey)) {
    await keys.setPin(userId, { ...pin, verified: false, changedTo: k.identityKey });
    changed();
  }
  return { keys: k, changed: true };
}

export class KeyDirectory {
  private readonly cache = new Map<string, UserKeys>();
  /** Fetches under way: a page of messages opened at once asks the server once, not per message. */
  private readonly inFlight = new Map<string, Promise<UserKeys>>();

  constructor(
    private readonly rpc: Client<typeof pb.KeysService>,
    private readonly authed: Authed,
    private readonly ttlMs: number,
  ) {}

  /** Forgets what was fetched (and fetches under way): the next `get` asks the server. */
  forget(userId?: string): void {
    if (userId) {
      this.cache.delete(userId);
      this.inFlight.delete(userId);
    } else {
      this.cache.clear();
      this.inFlight.clear();
    }
  }

  /** A user's identity key and the devices it signed; devices whose signature fails are left out. */
  get(userId: string): Promise<UserKeys> {
    const hit = this.cache.get(userId);
    if (hit && Date.now() - hit.at < this.ttlMs) return Promise.resolve(hit);
    let p = this.inFlight.get(userId);
    if (!p) {
      const fetching = this.fetch(userId).finally(() => {
        if (this.inFlight.get(userId) === fetching) this.inFlight.delete(userId);
      });
      this.inFlight.set(userId, (p = fetching));
    }
    return p;
  }

  private async fetch(userId: string): Promise<UserKeys> {
    const r = await this.authed((h) => this.rpc.getUserKeys({ userId }, h));
    const before = this.cache.get(userId);
    const known = [...(before?.devices.values() ?? []), ...(before?.removed.values() ?? [])];
    const ms = (t?: { seconds: bigint; nanos: number }) =>
      t ? Number(t.seconds) * 1000 + Math.floor(t.nanos / 1e6) : 0;
    const checked = async (d: pb.DeviceKey): Promise<DeviceKey | undefined> => {
      if (!(await verifyDevice(r.identityKey, userId, d))) return undefined;
      // The same key object as before for an unchanged key: agreements cached per key stay valid.
      const same = known.find((k) => equalBytes(k.publicKey, d.publicKey));
      const key = same?.key ?? (await importX25519(d.publicKey));
      return { key, publicKey: d.publicKey, createdAt: ms(d.createdAt) };
    };
    const devices: UserKeys['devices'] = new Map();
    const removed: UserKeys['removed'] = new Map();
    for (const d of r.devices) {
      const k = await checked(d);
      if (k) devices.set(d.deviceId, k);
    }
    for (const d of r.removedDevices) {
      const k = await checked(d);
      if (k && d.removedAt) removed.set(d.deviceId, { ...k, removedAt: ms(d.removedAt) });
    }
    const keys = { identityKey: r.identityKey, devices, removed, at: Date.now() };
    this.cache.set(userId, keys);
    return keys;
  }
}

export const samePin = (pin: Pin, key: Uint8Array) => equalBytes(pin.identityKey, key);

/**
 * The key of the device that sent a message at `sentAt`: a device in use, or a removed one for
 * what it sent before its removal (never after: a removed device stays removed).
 */
export function senderDeviceKey(k: UserKeys, deviceId: string, sentAt: number): CryptoKey | undefined {
  const removed = k.removed.get(deviceId);
  return k.devices.get(deviceId)?.key ?? (removed && sentAt < removed.removedAt ? removed.key : undefined);
}
