import { afterEach, describe, expect, it, vi } from 'vitest';
import { OpenedCache } from './e2ee-cache.js';
import { importX25519, newPair, open, seal, StaticSecrets } from './e2ee-crypto.js';
import { MemoryKeyStore, senderDeviceKey, type UserKeys } from './e2ee-keys.js';
import type { ChatMessage, Sealed } from './types.js';

const enc = new TextEncoder();
const dec = new TextDecoder();
const SENDER = { userId: '8', deviceId: 'b'.repeat(32) };
const ME = { userId: '7', deviceId: 'a'.repeat(32) };

async function pairOfDevices() {
  const [sender, me] = [await newPair('X25519'), await newPair('X25519')];
  return {
    sender: { ...SENDER, pair: sender, key: await importX25519(sender.publicKey) },
    me: { ...ME, pair: me, key: await importX25519(me.publicKey) },
  };
}

async function sealedText(text: string, d: Awaited<ReturnType<typeof pairOfDevices>>): Promise<Sealed> {
  const s = await seal(enc.encode(text), '1', d.sender, [{ ...ME, key: d.me.key }]);
  return { ...s, files: [] };
}

const msg = (seq: number, sealed: Sealed): ChatMessage =>
  ({
    conversationId: '1',
    seq,
    senderId: SENDER.userId,
    createdAt: 1000,
    content: { type: 'encrypted', sealed },
  }) as ChatMessage;

afterEach(() => vi.restoreAllMocks());

describe('StaticSecrets: the static agreement once per device pair', () => {
  it('opens many messages from one device with one static X25519, and the same text as without', async () => {
    const d = await pairOfDevices();
    const sealed = await Promise.all(['a', 'b', 'c'].map((t) => sealedText(t, d)));
    const subtle = globalThis.crypto.subtle;
    const derive = vi.spyOn(subtle, 'deriveBits');
    const staticCalls = () =>
      derive.mock.calls.filter(([alg]) => (alg as { public: CryptoKey }).public === d.sender.key).length;
    const from = { userId: SENDER.userId, key: d.sender.key };

    const plain = await Promise.all(sealed.map((s) => open(s, '1', from, d.me)));
    expect(staticCalls()).toBe(3);
    derive.mockClear();
    const statics = new StaticSecrets();
    const cached = await Promise.all(sealed.map((s) => open(s, '1', from, d.me, statics)));
    expect(staticCalls()).toBe(1);
    expect(cached.map((p) => dec.decode(p))).toEqual(plain.map((p) => dec.decode(p)));
    expect(cached.map((p) => dec.decode(p))).toEqual(['a', 'b', 'c']);
    // Sealing with the cache makes wrappings that open without it.
    const s = await seal(enc.encode('d'), '1', d.sender, [{ ...ME, key: d.me.key }], statics);
    expect(dec.decode(await open({ ...s, files: [] }, '1', from, d.me))).toBe('d');
  });

  it('does not keep a failed agreement', async () => {
    const statics = new StaticSecrets();
    const mine = (await newPair('X25519')).privateKey;
    const notX25519 = (await crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, [
      'encrypt',
    ])) as CryptoKey;
    await expect(statics.get(mine, notX25519)).rejects.toThrow();
    const derive = vi.spyOn(globalThis.crypto.subtle, 'deriveBits');
    await expect(statics.get(mine, notX25519)).rejects.toThrow();
    expect(derive).toHaveBeenCalledTimes(1);
  });
});

describe('OpenedCache: opened bodies kept under a local key', () => {
  it('keeps a body encrypted under a non-extractable key, for that exact message only', async () => {
    const d = await pairOfDevices();
    const map = new Map<string, unknown>();
    const cache = new OpenedCache(new MemoryKeyStore(map), '7');
    const sealed = await sealedText('canary-9f3', d);
    const m = msg(5, sealed);
    expect(await cache.get(m, sealed, ME.deviceId)).toBeUndefined();
    await cache.put(m, sealed, enc.encode('canary-9f3'), ME.deviceId);
    expect(dec.decode((await cache.get(m, sealed, ME.deviceId))!)).toBe('canary-9f3');

    const key = map.get('e2ee/7/opened/key') as CryptoKey;
    expect(key).toBeInstanceOf(CryptoKey);
    expect(key.extractable).toBe(false);
    const stored = JSON.stringify(
      [...map.values()].map((v) => (v instanceof CryptoKey ? 'key' : v)),
      (_k, v: unknown) => (v instanceof Uint8Array ? dec.decode(v) : v),
    );
    expect(stored).not.toContain('canary');

    // Another seq, another conversation, a changed byte of the message or of a wrapping: no hit.
    const flip = (u: Uint8Array) => Uint8Array.from(u, (v, i) => (i === 0 ? v ^ 1 : v));
    expect(await cache.get(msg(6, sealed), sealed, ME.deviceId)).toBeUndefined();
    expect(await cache.get({ ...m, conversationId: '2' }, sealed, ME.deviceId)).toBeUndefined();
    const changed = { ...sealed, ciphertext: flip(sealed.ciphertext) };
    expect(await cache.get(msg(5, changed), changed, ME.deviceId)).toBeUndefined();
    const rewrapped = { ...sealed, keys: sealed.keys.map((k) => ({ ...k, wrapped: flip(k.wrapped) })) };
    expect(await cache.get(msg(5, rewrapped), rewrapped, ME.deviceId)).toBeUndefined();
    // A new cache on the same store (the app reopened) reads it; a forgotten one is gone.
    const again = new OpenedCache(new MemoryKeyStore(map), '7');
    expect(dec.decode((await again.get(m, sealed, ME.deviceId))!)).toBe('canary-9f3');
    await again.forget(m);
    expect(await cache.get(m, sealed, ME.deviceId)).toBeUndefined();
  });

  it('gives the same entry for the whole message and for the one a page carries for this device', async () => {
    const d = await pairOfDevices();
    const other = await importX25519((await newPair('X25519')).publicKey);
    const backup = await importX25519((await newPair('X25519')).publicKey);
    const s = await seal(enc.encode('canary-4d1'), '1', d.sender, [
      { ...ME, key: d.me.key },
      { userId: ME.userId, deviceId: 'c'.repeat(32), key: other },
      { userId: ME.userId, deviceId: 'backup', key: backup },
      { ...SENDER, key: d.sender.key },
    ]);
    const full: Sealed = { ...s, files: [] };
    // What the server sends this device (GetHistoryRequest.e2ee_device_id): its own and the backup's.
    const mine = (k: { userId: string; deviceId: string }) =>
      k.userId === ME.userId && (k.deviceId === ME.deviceId || k.deviceId === 'backup');
    const forMe: Sealed = { ...full, keys: full.keys.filter(mine) };
    expect(forMe.keys).toHaveLength(2);
    const cache = new OpenedCache(new MemoryKeyStore(), '7');
    await cache.put(msg(5, full), full, enc.encode('canary-4d1'), ME.deviceId);
    expect(dec.decode((await cache.get(msg(5, forMe), forMe, ME.deviceId))!)).toBe('canary-4d1');
    await cache.put(msg(6, forMe), forMe, enc.encode('canary-4d1'), ME.deviceId);
    expect(dec.decode((await cache.get(msg(6, full), full, ME.deviceId))!)).toBe('canary-4d1');

    // A changed byte of this device's wrapping or of the backup's: no hit; of another's: the same.
    const flip = (u: Uint8Array) => Uint8Array.from(u, (v, i) => (i === 0 ? v ^ 1 : v));
    const rewrap = (pick: (k: { userId: string; deviceId: string }) => boolean): Sealed => ({
      ...full,
      keys: full.keys.map((k) => (pick(k) ? { ...k, wrapped: flip(k.wrapped) } : k)),
    });
    for (const id of [ME.deviceId, 'backup']) {
      const changed = rewrap((k) => k.userId === ME.userId && k.deviceId === id);
      expect(await cache.get(msg(5, changed), changed, ME.deviceId)).toBeUndefined();
    }
    const others = rewrap((k) => !mine(k));
    expect(dec.decode((await cache.get(msg(5, others), others, ME.deviceId))!)).toBe('canary-4d1');
    // Read as another device (its wrapping bound instead): no hit.
    expect(await cache.get(msg(5, full), full, 'c'.repeat(32))).toBeUndefined();
  });

  it('keeps nothing in a store that holds only bytes (the local key would sit next to it)', async () => {
    const d = await pairOfDevices();
    const map = new Map<string, unknown>();
    const cache = new OpenedCache(new MemoryKeyStore(map, true), '7');
    const sealed = await sealedText('x', d);
    await cache.put(msg(1, sealed), sealed, enc.encode('x'), ME.deviceId);
    expect(map.size).toBe(0);
    expect(dec.decode((await cache.get(msg(1, sealed), sealed, ME.deviceId))!)).toBe('x');
  });
});

describe('senderDeviceKey: a removed device opens only what it sent before its removal', () => {
  it('uses a device in use, and a removed one only for earlier messages', async () => {
    const [inUse, gone] = [await newPair('X25519'), await newPair('X25519')];
    const k = async (p: { publicKey: Uint8Array }) => ({
      key: await importX25519(p.publicKey),
      publicKey: p.publicKey,
      createdAt: 0,
    });
    const keys: UserKeys = {
      identityKey: new Uint8Array(32),
      devices: new Map([['d1', await k(inUse)]]),
      removed: new Map([['d2', { ...(await k(gone)), removedAt: 5000 }]]),
      at: 0,
    };
    expect(senderDeviceKey(keys, 'd1', 9999)).toBe(keys.devices.get('d1')!.key);
    expect(senderDeviceKey(keys, 'd2', 4999)).toBe(keys.removed.get('d2')!.key);
    expect(senderDeviceKey(keys, 'd2', 5000)).toBeUndefined();
    expect(senderDeviceKey(keys, 'd3', 1)).toBeUndefined();
  });
});
