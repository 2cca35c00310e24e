/** The encrypted-chat API of `@mychat/sdk/e2ee` (its entry point is e2ee.ts). */
import { create, toBinary } from '@bufbuild/protobuf';
import type { Client } from '@connectrpc/connect';
import { keys as pb, message } from '@mychat/protocol';
import { openBackup, DEFAULT_KDF, type KdfParams } from './e2ee-backup.js';
import { currentBackupKeys, makeBackup, type BackupDeps, type BackupOptions } from './e2ee-backup-api.js';
import {
  bs,
  equalBytes,
  importPair,
  newDeviceId,
  newPair,
  seal,
  sealFile,
  signDevice,
  StaticSecrets,
  type KeyPair,
  type Recipient,
} from './e2ee-crypto.js';
import { checkOpenedLimits, type OpenedCache } from './e2ee-cache.js';
import {
  KeyDirectory,
  LocalKeys,
  MemoryKeyStore,
  pinnedKeys,
  type E2eeKeyStore,
  type OwnKeys,
} from './e2ee-keys.js';
import * as opening from './e2ee-open.js';
import { historyPage, type PageOptions } from './e2ee-page.js';
import { safetyNumber, type SafetyNumber } from './e2ee-safety.js';
import type { E2eeEvents, E2eeOptions, E2eeStatus, Opened, SealedFileInfo } from './e2ee-types.js';
import { MyChatError, toMyChatError } from './errors.js';
import { Emitter } from './events.js';
import type { Authed } from './chat-backend.js';
import type { MyChatClient } from './client.js';
import { toConversation } from './mappers.js';
import type { ChatMessage, Conversation, Sealed } from './types.js';
import type { SendOptions } from './messages-api.js';

const fail = (message: string, reason: string) => new MyChatError(message, reason);

export class E2ee extends Emitter<E2eeEvents> {
  private readonly keysRpc: { rpc: Client<typeof pb.KeysService>; authed: Authed };
  private readonly msgRpc: Client<typeof message.MessageService>;
  private readonly directory: KeyDirectory;
  private readonly kdf: KdfParams;
  private readonly store: E2eeKeyStore;
  private readonly statics?: StaticSecrets;
  private local?: { userId: string; keys: LocalKeys; opened?: OpenedCache };

  constructor(
    private readonly client: MyChatClient,
    private readonly options: E2eeOptions = {},
  ) {
    super();
    this.keysRpc = client.rpcFor(pb.KeysService);
    this.msgRpc = client.rpcFor(message.MessageService).rpc;
    this.directory = new KeyDirectory(this.keysRpc.rpc, this.keysRpc.authed, options.keysTtlMs ?? 30_000);
    this.kdf = options.kdf ?? DEFAULT_KDF;
    this.store = options.store ?? new MemoryKeyStore();
    if (options.cacheSecrets !== false) this.statics = new StaticSecrets();
    if (options.openedLimits) checkOpenedLimits(options.openedLimits);
    opening.followForgets(client, () => this.local?.opened);
  }

  private async call<T>(fn: (h: { headers: Record<string, string> }) => Promise<T>): Promise<T> {
    try {
      return await this.keysRpc.authed(fn);
    } catch (err) {
      throw toMyChatError(err);
    }
  }

  private async me(): Promise<{ userId: string; keys: LocalKeys; opened?: OpenedCache }> {
    const s = await this.client.auth.session();
    if (!s) throw fail('not signed in', 'UNAUTHENTICATED');
    if (this.local?.userId !== s.userId) {
      const { userId } = s;
      const opened = opening.keptBodiesOf(this.client, userId, this.store, this.options);
      // History pages then carry only the wrapped keys this device can use.
      const keys = new LocalKeys(this.store, `e2ee/${userId}`, (own) =>
        this.client.useE2eeDevice(own && { userId, deviceId: own.device.id }),
      );
      this.local = { userId, keys, ...(opened && { opened }) };
    }
    return this.local;
  }

  private async own(): Promise<{ userId: string; own: OwnKeys }> {
    const { userId, keys } = await this.me();
    const own = await keys.own();
    if (!own) throw fail('set up encrypted chats on this device first', 'E2EE_NOT_SET_UP');
    return { userId, own };
  }

  /** Whether this device can take part now, or needs setup or a restore. */
  async status(): Promise<E2eeStatus> {
    const { userId, keys } = await this.me();
    const own = await keys.own();
    this.directory.forget(userId);
    const published = await this.directory.get(userId);
    // This device was removed (here or on another device): what it kept goes too.
    if (own && published.removed.has(own.device.id)) await this.local?.opened?.forgetAll();
    if (
      own &&
      equalBytes(own.identity.publicKey, published.identityKey) &&
      published.devices.has(own.device.id)
    )
      return 'ready';
    return published.identityKey.length ? 'restore' : 'new';
  }

  /**
   * A new identity for the account and this device's key; with a passphrase, the backup too
   * (without one, nothing sent before can ever be read on a new device). `replace` starts over
   * when the account already has an identity (peers see the change warning).
   */
  async setup(opts: { passphrase?: string; replace?: boolean } = {}): Promise<void> {
    const { userId, keys } = await this.me();
    const identity = await newPair('Ed25519');
    await this.call((h) =>
      this.keysRpc.rpc.publishIdentity(
        { identityKey: identity.publicKey, replace: opts.replace ?? false },
        h,
      ),
    );
    await keys.forget();
    await keys.saveOwn({ identity });
    await this.addDevice(userId, keys, identity);
    if (opts.passphrase) await this.createBackup(opts.passphrase);
  }

  private async addDevice(userId: string, keys: LocalKeys, identity: KeyPair): Promise<void> {
    const id = newDeviceId();
    // Never in a backup: non-extractable where the store holds CryptoKeys.
    const pair = await newPair('X25519', !keys.keepsCryptoKeys);
    const signature = await signDevice(identity, userId, id, pair.publicKey);
    await this.call((h) =>
      this.keysRpc.rpc.registerDevice({ device: { deviceId: id, publicKey: pair.publicKey, signature } }, h),
    );
    await keys.saveOwn({ device: { id, pair } });
    this.directory.forget(userId);
  }

  /**
   * Makes (or remakes, under a new passphrase) the key backup: a backup key that every new
   * message is also wrapped for, kept with the identity key under the passphrase (Argon2id).
   * Replacing a backup needs its passphrase (`current`, see BackupOptions).
   */
  createBackup(passphrase: string, opts: BackupOptions = {}): Promise<void> {
    return makeBackup(this.backupDeps(), passphrase, opts);
  }

  private backupDeps(): BackupDeps {
    return {
      rpc: this.keysRpc.rpc,
      call: (fn) => this.call(fn),
      own: () => this.own(),
      saved: async (userId, backups) => {
        await (await this.me()).keys.saveOwn({ backups });
        this.directory.forget(userId);
      },
      kdf: this.kdf,
    };
  }

  /** Changes the backup's passphrase: `current` (or the recovery key) must open the backup. */
  changePassphrase(current: string, next: string): Promise<void> {
    return this.createBackup(next, { current });
  }

  /**
   * On a new device: opens the backup with the passphrase, takes the identity from it and
   * registers this device. Resolves false for a wrong passphrase; E2EE_NO_BACKUP when none.
   */
  async restore(passphrase: string): Promise<boolean> {
    const { userId, keys } = await this.me();
    const r = await this.call((h) => this.keysRpc.rpc.getBackup({}, h));
    const secrets = await openBackup(r.backup, passphrase);
    if (!secrets) return false;
    await keys.forget();
    const identity = await importPair('Ed25519', secrets.identity, true);
    const backups = await Promise.all(secrets.backups.map((b) => importPair('X25519', b, true)));
    await keys.saveOwn({ identity, backups });
    await this.addDevice(userId, keys, identity);
    return true;
  }

  /** This device's id, once set up. */
  async deviceId(): Promise<string | undefined> {
    return (await (await this.me()).keys.own())?.device.id;
  }

  /** A user's devices as published and checked here (the backup key as `backup`). */
  async devices(userId?: string): Promise<{ deviceId: string; createdAt: number }[]> {
    const id = userId ?? (await this.me()).userId;
    this.directory.forget(id);
    const k = await this.directory.get(id);
    return [...k.devices].map(([deviceId, d]) => ({ deviceId, createdAt: d.createdAt }));
  }

  /**
   * Removes one of my devices: nothing sent afterwards is wrapped for it, and its key can never
   * be registered again. A device that restored the backup also knows the backup key: give the
   * backup's passphrase so the backup key is rotated too (under the same passphrase), or that
   * device could still open new messages through it. A wrong passphrase fails before anything
   * is removed (E2EE_WRONG_PASSPHRASE).
   */
  async removeDevice(deviceId: string, opts: { passphrase?: string } = {}): Promise<void> {
    if (opts.passphrase) await currentBackupKeys(this.backupDeps(), opts.passphrase);
    await this.call((h) => this.keysRpc.rpc.removeDevice({ deviceId }, h));
    const { userId, keys, opened } = await this.me();
    this.directory.forget(userId);
    if ((await keys.own())?.device.id === deviceId) await opened?.forgetAll();
    if (opts.passphrase) await this.createBackup(opts.passphrase, { current: opts.passphrase, rotate: true });
  }

  /** The encrypted chat with a friend, created on first use. */
  async openChat(peerId: string): Promise<Conversation> {
    const r = await this.call((h) => this.msgRpc.openEncryptedChat({ peerId }, h));
    if (!r.conversation) throw fail('the server sent no conversation', 'UNKNOWN');
    const c = toConversation(r.conversation);
    await (await this.me()).opened?.forgetHidden(c);
    return c;
  }

  /** Sends text in an encrypted chat. Fails (never falls back to plaintext) without keys. */
  async sendText(
    chat: { id: string; peerId: string },
    text: string,
    options: SendOptions = {},
  ): Promise<ChatMessage> {
    const body = create(pb.SealedBodySchema, { body: { case: 'text', value: text } });
    return this.send(chat, body, [], options);
  }

  /** Encrypts a file here, uploads the ciphertext, sends its key in the message (`image`: a picture). */
  async sendFile(
    chat: { id: string; peerId: string },
    data: Uint8Array,
    meta: { name: string; mime: string; image?: boolean; width?: number; height?: number },
    options: SendOptions = {},
  ): Promise<ChatMessage> {
    await this.own();
    const f = await sealFile(data);
    const media = await this.client.media.upload(f.ciphertext, {
      name: 'encrypted.bin',
      contentType: 'application/octet-stream',
      kind: 'file',
    });
    const file = create(pb.SealedFileSchema, {
      mediaId: media.id,
      key: f.key,
      nonce: f.nonce,
      name: meta.name,
      mime: meta.mime,
      size: BigInt(data.length),
      width: meta.width ?? 0,
      height: meta.height ?? 0,
    });
    const body = create(pb.SealedBodySchema, { body: { case: meta.image ? 'image' : 'file', value: file } });
    return this.send(chat, body, [media.id], options);
  }

  private async send(
    chat: { id: string; peerId: string },
    body: pb.SealedBody,
    files: string[],
    options: SendOptions,
  ): Promise<ChatMessage> {
    const { userId, own } = await this.own();
    let peer = await this.peerKeys(chat.peerId);
    // Keys fetched before the peer set up: ask once more before refusing.
    if (!peer.keys.devices.size) {
      this.directory.forget(chat.peerId);
      peer = await this.peerKeys(chat.peerId);
    }
    if (peer.changed)
      throw fail(
        "the peer's security key changed: check it, then accept it to send",
        'E2EE_IDENTITY_CHANGED',
      );
    if (!peer.keys.devices.size)
      throw fail('the peer has not set up encrypted chats yet', 'E2EE_PEER_NOT_SET_UP');
    const mine = await this.directory.get(userId);
    if (!equalBytes(mine.identityKey, own.identity.publicKey))
      throw fail('this device’s keys were replaced on another device; set up again', 'E2EE_NOT_SET_UP');
    const recipients: Recipient[] = [];
    for (const [u, k] of [[userId, mine] as const, [chat.peerId, peer.keys] as const])
      for (const [deviceId, d] of k.devices) recipients.push({ userId: u, deviceId, key: d.key });
    const sealed = await seal(
      toBinary(pb.SealedBodySchema, body),
      chat.id,
      { userId, deviceId: own.device.id, pair: own.device.pair },
      recipients,
      this.statics,
    );
    const full: Sealed = {
      ...sealed,
      files: files.map((mediaId) => ({ mediaId, mime: '', size: '0', width: 0, height: 0, placeholder: '' })),
    };
    return this.client.messages.sendSealed(chat.id, full, options);
  }

  /** A user's checked keys, with the pin compared (and made on first use). */
  private async peerKeys(userId: string) {
    const { keys } = await this.me();
    return pinnedKeys(this.directory, keys, userId, () => this.emit('identityChanged', userId));
  }

  /** Opens an encrypted message; a failure says why and is shown in the message's place. */
  async open(m: ChatMessage): Promise<Opened> {
    return (await this.openAll([m]))[0]!;
  }

  /**
   * Opens several messages (a page), each as `open` would, in order: the bodies this device
   * kept are read together (one store read) and need no key fetch; the others are unwrapped.
   */
  async openAll(list: readonly ChatMessage[]): Promise<Opened[]> {
    const { userId, keys, opened } = await this.me();
    const own = await keys.own();
    const kept = own ? await opening.keptBodies(opened, keys, own.device.id, list) : [];
    return Promise.all(list.map((m, i) => kept[i] ?? this.openOne(m, { userId, own, opened })));
  }

  private openOne(m: ChatMessage, me: opening.Opener): Promise<Opened> {
    const peerKeys = (id: string) => this.peerKeys(id);
    return opening.openOne(m, me, { directory: this.directory, peerKeys, statics: this.statics });
  }

  /**
   * A page of an encrypted chat's history, as `client.messages.history` gives it (oldest first):
   * what this device kept opened of it comes without its sealed bytes and is made whole from
   * what it kept, read while the page is fetched (e2ee-page.ts). `lastSeq`: the chat's newest
   * seq, when known (else the stored conversation's).
   */
  async history(chat: { id: string; lastSeq?: number }, opts: PageOptions = {}) {
    return historyPage(this.client, await this.me(), chat, opts);
  }

  /** Whether this device kept a message's body (its local index: no key fetch, no decrypt). */
  async hasKept(m: { conversationId: string; seq: number }): Promise<boolean> {
    return (await (await this.me()).opened?.has(m)) ?? false;
  }

  /** Resolves once the bodies opened so far are written to the store (and forgets done). */
  async settled(): Promise<void> {
    await (await this.me()).opened?.settled();
  }

  /** Drops what this device kept of a message once opened (call it when the message is recalled). */
  async forgetOpened(m: { conversationId: string; seq: number }): Promise<void> {
    await (await this.me()).opened?.forget(m);
  }

  /** Downloads and decrypts a file of an opened message. */
  downloadFile(m: ChatMessage, file: SealedFileInfo): Promise<Uint8Array> {
    return opening.downloadSealedFile(this.client, m, file);
  }

  /** The safety number of me and a peer, to compare in person or scan as a QR code. */
  async safetyNumber(peerId: string): Promise<SafetyNumber> {
    const { userId, own } = await this.own();
    const peer = await this.directory.get(peerId);
    if (!peer.identityKey.length)
      throw fail('the peer has not set up encrypted chats yet', 'E2EE_PEER_NOT_SET_UP');
    return safetyNumber(
      { userId, identityKey: own.identity.publicKey },
      { userId: peerId, identityKey: peer.identityKey },
    );
  }

  /** Whether I verified the peer, and whether their key changed since (the warning). */
  async trust(peerId: string): Promise<{ verified: boolean; changed: boolean }> {
    const r = await this.peerKeys(peerId);
    const pin = await (await this.me()).keys.pin(peerId);
    return { verified: !r.changed && (pin?.verified ?? false), changed: r.changed };
  }

  /**
   * Marks the peer verified: after comparing the digits (no argument), or with a scanned QR
   * payload, which must match. Accepts the peer's current key. Resolves false on a mismatch.
   */
  async markVerified(peerId: string, scannedQr?: string): Promise<boolean> {
    if (scannedQr !== undefined && scannedQr !== (await this.safetyNumber(peerId)).qr) return false;
    await this.acceptIdentity(peerId, true);
    return true;
  }

  /** Accepts a peer's changed identity key (after the warning): sending works again, unverified. */
  async acceptIdentity(peerId: string, verified = false): Promise<void> {
    const { keys } = await this.me();
    this.directory.forget(peerId);
    const k = await this.directory.get(peerId);
    await keys.setPin(peerId, { identityKey: bs(k.identityKey), verified });
  }
}
