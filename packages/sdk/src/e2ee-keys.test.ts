import { describe, expect, it } from 'vitest';
import { exportPair, importX25519, newPair, open, seal } from './e2ee-crypto.js';
import { LocalKeys, MemoryKeyStore } from './e2ee-keys.js';

const P = 'e2ee/7';

/** A message sealed for device `dev` of user 7 by a fresh sender device. */
async function sealedFor(dev: { id: string; publicKey: Uint8Array }) {
  const sender = await newPair('X25519');
  const to = [{ userId: '7', deviceId: dev.id, key: await importX25519(dev.publicKey) }];
  const body = new TextEncoder().encode('canary');
  const sealed = await seal(body, '1', { userId: '8', deviceId: 'b'.repeat(32), pair: sender }, to);
  return { sealed: { ...sealed, files: [] }, senderKey: await importX25519(sender.publicKey) };
}

describe('LocalKeys: where private keys are kept', () => {
  it('keeps the device key as a non-extractable CryptoKey in a store that holds CryptoKeys', async () => {
    const map = new Map<string, unknown>();
    const keys = new LocalKeys(new MemoryKeyStore(map), P);
    expect(keys.keepsCryptoKeys).toBe(true);
    const device = await newPair('X25519', false);
    await keys.saveOwn({ identity: await newPair('Ed25519'), device: { id: 'd1', pair: device } });
    const stored = map.get(`${P}/device`) as { pair: { key?: CryptoKey; priv?: Uint8Array } };
    expect(stored.pair.priv).toBeUndefined();
    expect(stored.pair.key).toBeInstanceOf(CryptoKey);
    expect(stored.pair.key!.extractable).toBe(false);
    await expect(exportPair(device)).rejects.toThrow();
  });

  it('keeps PKCS#8 bytes in a store that holds only bytes', async () => {
    const map = new Map<string, unknown>();
    const keys = new LocalKeys(new MemoryKeyStore(map, true), P);
    await keys.saveOwn({
      identity: await newPair('Ed25519'),
      device: { id: 'd1', pair: await newPair('X25519') },
    });
    const stored = map.get(`${P}/device`) as { pair: { key?: CryptoKey; priv?: Uint8Array } };
    expect(stored.pair.priv).toBeInstanceOf(Uint8Array);
    expect(stored.pair.key).toBeUndefined();
  });

  it('moves PKCS#8 bytes kept by an older version to non-extractable CryptoKeys on first open', async () => {
    const map = new Map<string, unknown>();
    const old = new LocalKeys(new MemoryKeyStore(map, true), P);
    const device = await newPair('X25519');
    await old.saveOwn({
      identity: await newPair('Ed25519'),
      device: { id: 'd1', pair: device },
      backups: [await newPair('X25519')],
    });
    const { sealed, senderKey } = await sealedFor({ id: 'd1', publicKey: device.publicKey });

    const keys = new LocalKeys(new MemoryKeyStore(map), P);
    const own = (await keys.own())!;
    expect(own.device.pair.privateKey.extractable).toBe(false);
    const stored = map.get(`${P}/device`) as { pair: { key?: CryptoKey; priv?: Uint8Array } };
    expect(stored.pair.priv).toBeUndefined();
    expect(stored.pair.key!.extractable).toBe(false);
    // The identity and backup keys go into backups: CryptoKeys, still extractable for that.
    const identity = map.get(`${P}/identity`) as { key?: CryptoKey; priv?: Uint8Array };
    expect(identity.priv).toBeUndefined();
    expect(identity.key!.extractable).toBe(true);
    expect((map.get(`${P}/backups`) as { key: CryptoKey }[])[0]!.key).toBeInstanceOf(CryptoKey);

    // The moved key still opens what was sealed for it, and a second open reads the new form.
    const again = (await new LocalKeys(new MemoryKeyStore(map), P).own())!;
    const plain = await open(
      sealed,
      '1',
      { userId: '8', key: senderKey },
      { userId: '7', deviceId: 'd1', pair: again.device.pair },
    );
    expect(new TextDecoder().decode(plain)).toBe('canary');
  });
});
