import { createECDH, randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { decryptAes128gcm } from '../../../test/helpers/fake-push-service.js';
import { pino } from 'pino';
import { InlineEncrypter, pushEncrypter, type PushEncrypter, ThreadEncrypter } from './push.encrypt.js';

/** A browser's subscription keys, made here so the test can decrypt. */
function subscriber() {
  const ecdh = createECDH('prime256v1');
  const pub = ecdh.generateKeys();
  const auth = randomBytes(16);
  return {
    target: {
      endpoint: 'https://push.example/send/abc',
      keys: { p256dh: pub.toString('base64url'), auth: auth.toString('base64url') },
    },
    open: (body: Uint8Array) =>
      decryptAes128gcm(Buffer.from(body), ecdh.getPrivateKey(), pub, auth).toString(),
  };
}

const OPTIONS = { TTL: 60, urgency: 'high', contentEncoding: 'aes128gcm', topic: 'c1' };
const logger = pino({ level: 'silent' });

describe('push encryption off the event loop', () => {
  let enc: PushEncrypter | undefined;
  afterEach(async () => enc?.close());

  it('a thread encrypts what the subscriber decrypts, with the headers web-push sets, many per batch', async () => {
    const t = new ThreadEncrypter(2, logger);
    enc = t;
    const subs = Array.from({ length: 50 }, subscriber);
    const out = await Promise.all(subs.map((s, i) => t.encrypt(s.target, `{"n":${i}}`, OPTIONS)));
    expect(out.map((e, i) => subs[i]!.open(e.body!))).toEqual(subs.map((_, i) => `{"n":${i}}`));
    expect(out[0]!.headers).toMatchObject({
      TTL: 60,
      Urgency: 'high',
      Topic: 'c1',
      'Content-Encoding': 'aes128gcm',
    });
    expect(t.threads).toBe(2);
  });

  it('bad keys fail that push alone', async () => {
    enc = new ThreadEncrypter(1, logger);
    const good = subscriber();
    const bad = { ...good.target, keys: { p256dh: 'not-a-key', auth: good.target.keys.auth } };
    const [a, b] = await Promise.allSettled([
      enc.encrypt(bad, 'x', OPTIONS),
      enc.encrypt(good.target, 'y', OPTIONS),
    ]);
    expect(a.status).toBe('rejected');
    expect(b.status === 'fulfilled' && good.open(b.value.body!)).toBe('y');
  });

  it('a thread that dies hands its pushes to the event loop: none is lost', async () => {
    const t = new ThreadEncrypter(1, logger);
    enc = t;
    const s = subscriber();
    const held = t.encrypt(s.target, 'before', OPTIONS);
    // The thread ends under the sender (as an out-of-memory or a crash would end it).
    (t as unknown as { workers: { emit(e: string, err: Error): void }[] }).workers[0]!.emit(
      'error',
      new Error('boom'),
    );
    expect(s.open((await held).body!)).toBe('before');
    expect(s.open((await t.encrypt(s.target, 'after', OPTIONS)).body!)).toBe('after');
    expect(t.threads).toBe(0);
  });

  it('closing fails what is still held instead of leaving it pending', async () => {
    const t = new ThreadEncrypter(1, logger);
    const p = t.encrypt(subscriber().target, 'x', OPTIONS);
    await t.close();
    await expect(p).rejects.toThrow(/closed/);
  });

  it('0 threads encrypts on the event loop', async () => {
    enc = pushEncrypter(0, logger);
    expect(enc).toBeInstanceOf(InlineEncrypter);
    const s = subscriber();
    expect(s.open((await enc.encrypt(s.target, 'inline', OPTIONS)).body!)).toBe('inline');
  });
});
