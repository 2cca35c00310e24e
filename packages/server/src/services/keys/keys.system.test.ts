import { generateKeyPairSync, sign } from 'node:crypto';
import type { Client } from '@connectrpc/connect';
import { keys, message } from '@mychat/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectReason } from '../../../test/helpers/auth-helpers.js';
import {
  befriend,
  CONTACTS_SETUPS,
  newUser,
  sendText,
  setupAvailable,
  startContactsEnv,
  type ContactsEnv,
  type TestUser,
} from '../../../test/helpers/contacts-helpers.js';
import { deviceSignedBytes } from './keys.service.js';

/** An Ed25519 identity as raw bytes, and a signer of device keys with it. */
function identity() {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const raw = publicKey.export({ format: 'der', type: 'spki' }).subarray(12);
  return {
    raw,
    signDevice: (userId: string, deviceId: string, pub: Uint8Array) =>
      sign(null, deviceSignedBytes(userId, deviceId, pub), privateKey),
  };
}

const devId = (n: number) => n.toString(16).padStart(32, '0');
const x25519Pub = () =>
  generateKeyPairSync('x25519').publicKey.export({ format: 'der', type: 'spki' }).subarray(12);

/** Content of an encrypted message shaped as version 1 (the bytes mean nothing here). */
const sealedContent = (userId: string, over: object = {}) => ({
  body: {
    case: 'encrypted' as const,
    value: {
      version: 1,
      ciphertext: new Uint8Array(40).fill(7),
      nonce: new Uint8Array(12),
      senderDeviceId: devId(1),
      ephemeralKey: new Uint8Array(32).fill(1),
      keys: [{ userId, deviceId: devId(1), wrapped: new Uint8Array(48) }],
      ...over,
    },
  },
});

let n = 0;
const cid = () => `e2e-${process.pid}-${n++}`;

describe.each(CONTACTS_SETUPS.filter((s) => !s.fakeMessage))('keys and encrypted chats ($name)', (setup) => {
  let env: ContactsEnv;
  let api: Client<typeof keys.KeysService>;
  let available = true;
  beforeAll(async () => {
    available = await setupAvailable(setup);
    if (!available) return;
    env = await startContactsEnv(setup, { keys: { maxDevices: 3 } });
    api = env.server.client(keys.KeysService);
  }, 60_000);
  afterAll(() => env?.stop());

  it('keeps identity and signed device keys; refuses unsigned, foreign and malformed keys', async (ctx) => {
    if (!available) return ctx.skip();
    const [a, b] = [await newUser(env, 'A'), await newUser(env, 'B')];
    const id = identity();
    const pub = x25519Pub();
    const device = { deviceId: devId(1), publicKey: pub, signature: id.signDevice(a.id, devId(1), pub) };
    await expectReason(api.registerDevice({ device }, a.h), 'E2EE_NO_IDENTITY');
    await expectReason(api.publishIdentity({ identityKey: new Uint8Array(31) }, a.h), 'E2EE_BAD_KEY');
    await expectReason(api.publishIdentity({ identityKey: id.raw }), 'UNAUTHENTICATED');
    expect((await api.publishIdentity({ identityKey: id.raw }, a.h)).replaced).toBe(false);
    expect((await api.publishIdentity({ identityKey: id.raw }, a.h)).replaced).toBe(false);
    await api.registerDevice({ device }, a.h);
    // A signature over another user's id, a flipped bit, a key of the wrong size, a bad id.
    await expectReason(
      api.registerDevice({ device: { ...device, signature: id.signDevice(b.id, devId(1), pub) } }, a.h),
      'E2EE_BAD_SIGNATURE',
    );
    const flipped = Buffer.from(device.signature);
    flipped[0] = flipped[0]! ^ 1;
    await expectReason(
      api.registerDevice({ device: { ...device, signature: flipped } }, a.h),
      'E2EE_BAD_SIGNATURE',
    );
    await expectReason(
      api.registerDevice({ device: { ...device, publicKey: pub.subarray(1) } }, a.h),
      'E2EE_BAD_KEY',
    );
    await expectReason(api.registerDevice({ device: { ...device, deviceId: 'X' } }, a.h), 'INVALID_ARGUMENT');
    // B cannot put a device under A's identity: B has none, and A's signature names A.
    await expectReason(api.registerDevice({ device }, b.h), 'E2EE_NO_IDENTITY');

    const seen = await api.getUserKeys({ userId: a.id }, b.h);
    expect(Buffer.from(seen.identityKey).equals(id.raw)).toBe(true);
    expect(seen.devices.map((d) => d.deviceId)).toEqual([devId(1)]);
    expect((await api.getUserKeys({ userId: b.id }, a.h)).identityKey.length).toBe(0);

    // Past keys.maxDevices (3); removing one makes room; nobody removes another's device.
    for (const i of [2, 3]) {
      const p = x25519Pub();
      await api.registerDevice(
        { device: { deviceId: devId(i), publicKey: p, signature: id.signDevice(a.id, devId(i), p) } },
        a.h,
      );
    }
    const p4 = x25519Pub();
    const d4 = { deviceId: devId(4), publicKey: p4, signature: id.signDevice(a.id, devId(4), p4) };
    await expectReason(api.registerDevice({ device: d4 }, a.h), 'E2EE_TOO_MANY_DEVICES');
    await expectReason(api.removeDevice({ deviceId: devId(3) }, b.h), 'NOT_FOUND');
    await api.removeDevice({ deviceId: devId(3) }, a.h);
    await api.registerDevice({ device: d4 }, a.h);

    // Another identity needs replace, which drops every device and the backup.
    await api.putBackup({ backup: new Uint8Array([1, 2, 3]) }, a.h);
    const other = identity();
    await expectReason(api.publishIdentity({ identityKey: other.raw }, a.h), 'E2EE_IDENTITY_EXISTS');
    expect((await api.publishIdentity({ identityKey: other.raw, replace: true }, a.h)).replaced).toBe(true);
    expect((await api.getUserKeys({ userId: a.id }, a.h)).devices).toEqual([]);
    await expectReason(api.getBackup({}, a.h), 'E2EE_NO_BACKUP');
  });

  it('keeps a removed device removed: listed apart, its id and key refused, not counted', async (ctx) => {
    if (!available) return ctx.skip();
    const [a, b] = [await newUser(env, 'A'), await newUser(env, 'B')];
    const id = identity();
    await api.publishIdentity({ identityKey: id.raw }, a.h);
    const dev = (i: number, pub = x25519Pub(), deviceId = devId(i)) => ({
      deviceId,
      publicKey: pub,
      signature: id.signDevice(a.id, deviceId, pub),
    });
    const [d1, d2, backup] = [dev(1), dev(2), dev(0, x25519Pub(), 'backup')];
    for (const d of [d1, d2, backup]) await api.registerDevice({ device: d }, a.h);
    await api.removeDevice({ deviceId: devId(1) }, a.h);
    await expectReason(api.removeDevice({ deviceId: devId(1) }, a.h), 'NOT_FOUND');
    const seen = await api.getUserKeys({ userId: a.id }, b.h);
    expect(seen.devices.map((d) => d.deviceId).sort()).toEqual([devId(2), 'backup']);
    expect(seen.removedDevices.map((d) => d.deviceId)).toEqual([devId(1)]);
    const removed = seen.removedDevices[0]!;
    expect(Buffer.from(removed.publicKey).equals(d1.publicKey)).toBe(true);
    expect(Number(removed.removedAt?.seconds)).toBeGreaterThan(0);
    expect(seen.devices.every((d) => d.removedAt === undefined)).toBe(true);
    // The same id (with a new key) and the same key (under a new id) are refused.
    await expectReason(api.registerDevice({ device: dev(1) }, a.h), 'E2EE_DEVICE_REMOVED');
    await expectReason(api.registerDevice({ device: dev(5, d1.publicKey) }, a.h), 'E2EE_DEVICE_REMOVED');
    // A removed device leaves room (maxDevices 3: device 2, the backup and one more).
    await api.registerDevice({ device: dev(3) }, a.h);
    // The backup's id takes a new key after a removal, never the removed key.
    await api.removeDevice({ deviceId: 'backup' }, a.h);
    await expectReason(
      api.registerDevice({ device: dev(0, backup.publicKey, 'backup') }, a.h),
      'E2EE_DEVICE_REMOVED',
    );
    await api.registerDevice({ device: dev(0, x25519Pub(), 'backup') }, a.h);
    const after = await api.getUserKeys({ userId: a.id }, a.h);
    expect(after.devices.map((d) => d.deviceId).sort()).toEqual([devId(2), devId(3), 'backup']);
    expect(after.removedDevices.map((d) => d.deviceId)).toEqual([devId(1)]);
  });

  it('stores one opaque backup per account, bounded in size', async (ctx) => {
    if (!available) return ctx.skip();
    const [a, b] = [await newUser(env, 'A'), await newUser(env, 'B')];
    await expectReason(api.getBackup({}, a.h), 'E2EE_NO_BACKUP');
    await expectReason(api.putBackup({ backup: new Uint8Array(4097) }, a.h), 'PAYLOAD_TOO_LARGE');
    await expectReason(api.putBackup({ backup: new Uint8Array() }, a.h), 'PAYLOAD_TOO_LARGE');
    await api.putBackup({ backup: new Uint8Array(4096).fill(9) }, a.h);
    await api.putBackup({ backup: new Uint8Array([5, 6]) }, a.h);
    expect([...(await api.getBackup({}, a.h)).backup]).toEqual([5, 6]);
    await expectReason(api.getBackup({}, b.h), 'E2EE_NO_BACKUP');
  });

  it('opens an encrypted chat between friends only, and takes nothing but encrypted messages there', async (ctx) => {
    if (!available) return ctx.skip();
    const [a, b, c] = [await newUser(env, 'A'), await newUser(env, 'B'), await newUser(env, 'C')];
    const direct = await befriend(env.api, a, b);
    await expectReason(env.messages.openEncryptedChat({ peerId: c.id }, a.h), 'NOT_FRIENDS');
    await expectReason(env.messages.openEncryptedChat({ peerId: a.id }, a.h), 'NOT_FRIENDS');
    await expectReason(env.messages.openEncryptedChat({ peerId: 'x' }, a.h), 'INVALID_ARGUMENT');
    const opened = (await env.messages.openEncryptedChat({ peerId: b.id }, a.h)).conversation!;
    expect(opened.type).toBe(message.ConversationType.ENCRYPTED);
    expect(opened.peerId).toBe(b.id);
    expect(opened.canSend).toBe(true);
    const conv = opened.id;
    expect(conv).not.toBe(direct);
    expect((await env.messages.openEncryptedChat({ peerId: a.id }, b.h)).conversation!.id).toBe(conv);

    // No plaintext inside; no encrypted content outside; nothing malformed.
    await expectReason(sendText(env, a, conv, 'plain words'), 'E2EE_PLAINTEXT_REFUSED');
    const send = (u: TestUser, conversationId: string, content: ReturnType<typeof sealedContent>) =>
      env.messages.sendMessage({ conversationId, clientMsgId: cid(), content }, u.h);
    await expectReason(send(a, direct, sealedContent(b.id)), 'E2EE_NOT_ENCRYPTED_CHAT');
    for (const bad of [
      { version: 2 },
      { nonce: new Uint8Array(11) },
      { ephemeralKey: new Uint8Array(31) },
      { ciphertext: new Uint8Array(16 * 1024 + 1) },
      { senderDeviceId: 'backup' },
      { keys: [] },
      { keys: [{ userId: b.id, deviceId: devId(1), wrapped: new Uint8Array(47) }] },
      {
        keys: Array.from({ length: 65 }, () => ({
          userId: b.id,
          deviceId: devId(1),
          wrapped: new Uint8Array(48),
        })),
      },
    ] as object[])
      await expectReason(send(a, conv, sealedContent(b.id, bad)), 'E2EE_BAD_KEY');
    await expectReason(send(c, conv, sealedContent(b.id)), 'NOT_FOUND');

    const id1 = cid();
    const m1 = (
      await env.messages.sendMessage(
        { conversationId: conv, clientMsgId: id1, content: sealedContent(b.id) },
        a.h,
      )
    ).message!;
    expect(m1.type).toBe(message.MessageType.ENCRYPTED);
    // A retry is the same ciphertext; other bytes under the same id are another message.
    const retry = await env.messages.sendMessage(
      { conversationId: conv, clientMsgId: id1, content: sealedContent(b.id) },
      a.h,
    );
    expect(retry.duplicate).toBe(true);
    const other = sealedContent(b.id, { ciphertext: new Uint8Array(40).fill(8) });
    await expectReason(
      env.messages.sendMessage({ conversationId: conv, clientMsgId: id1, content: other }, a.h),
      'INVALID_ARGUMENT',
    );
    const hist = await env.messages.getHistory({ conversationId: conv, limit: 10 }, b.h);
    const got = hist.messages.find((m) => m.seq === m1.seq)!.content!.body;
    expect(got.case === 'encrypted' && [...got.value.ciphertext]).toEqual([...new Uint8Array(40).fill(7)]);

    // Edits, reactions, pins and drafts would be plaintext on the server.
    await expectReason(
      env.messages.editMessage({ conversationId: conv, seq: m1.seq, text: 'x' }, a.h),
      'E2EE_NOT_AVAILABLE',
    );
    await expectReason(
      env.messages.reactToMessage(
        { conversationId: conv, seq: m1.seq, emoji: '👍', clientMsgId: cid() },
        b.h,
      ),
      'E2EE_NOT_AVAILABLE',
    );
    await expectReason(
      env.messages.setDraft({ conversationId: conv, text: 'secret draft' }, a.h),
      'E2EE_NOT_AVAILABLE',
    );
    await env.messages.setDraft({ conversationId: conv, text: '' }, a.h);

    // Read receipts and recall work as in a direct chat.
    await env.messages.markRead({ conversationId: conv, seq: m1.seq }, b.h);
    const seenByA = (await env.messages.getConversation({ conversationId: conv }, a.h)).conversation!;
    expect(seenByA.peerReadSeq).toBe(m1.seq);
    await env.messages.recallMessage({ conversationId: conv, seq: m1.seq }, a.h);
    const after = await env.messages.getHistory({ conversationId: conv, limit: 10 }, b.h);
    expect(after.messages.find((m) => m.seq === m1.seq)!.recalled).toBe(true);

    // The chat follows the friendship: after unfriending, nobody sends there.
    await env.api.deleteFriend({ userId: b.id }, a.h);
    await expectReason(send(a, conv, sealedContent(b.id)), 'NOT_FRIENDS');
    expect((await env.messages.getConversation({ conversationId: conv }, b.h)).conversation!.canSend).toBe(
      false,
    );
    await expectReason(env.messages.openEncryptedChat({ peerId: b.id }, a.h), 'NOT_FRIENDS');
  });
});
