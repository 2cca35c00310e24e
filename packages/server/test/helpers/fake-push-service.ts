import { selfSignedCert } from '@mychat/server/dev/cluster';
import { createECDH, createHmac, createDecipheriv, createPublicKey, randomBytes, verify } from 'node:crypto';
import fs from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';

/** A browser's push subscription made by the test: the keys are the test's, so it can decrypt. */
export interface TestSubscription {
  endpoint: string;
  p256dh: string;
  auth: string;
  /** The path part of the endpoint (the fake service's key for it). */
  id: string;
}

/** One push the fake service received, decrypted and with its VAPID token checked. */
export interface ReceivedPush {
  id: string;
  headers: Record<string, string | undefined>;
  /** The decrypted payload, parsed as JSON. */
  payload: Record<string, unknown>;
  /** The VAPID JWT's claims (its ES256 signature was verified with the k= key). */
  jwt: { aud: string; exp: number; sub: string };
  vapidKey: string;
  at: number;
}

export interface FakePushService {
  origin: string;
  /** The PEM of the self-signed certificate (for push.caFile). */
  certPem: string;
  certFile: string;
  /** Its private key (PEM), for another test server with the same certificate. */
  keyPem: string;
  subscription(): TestSubscription;
  received: ReceivedPush[];
  /** Answers every later push to `id` with this status (201 by default). */
  answer(id: string, status: number): void;
  /** Waits until `n` pushes arrived for `id` (or in all, without an id). */
  waitFor(n: number, id?: string, timeoutMs?: number): Promise<ReceivedPush[]>;
  /** Pushes received for `id`. */
  for(id: string): ReceivedPush[];
  stop(): Promise<void>;
}

const hmac = (key: Buffer, data: Buffer) => createHmac('sha256', key).update(data).digest();

/** Decrypts an aes128gcm body (RFC 8188 / RFC 8291) with the subscription's private key and auth secret. */
export function decryptAes128gcm(
  body: Buffer,
  uaPrivate: Buffer,
  uaPublic: Buffer,
  authSecret: Buffer,
): Buffer {
  const salt = body.subarray(0, 16);
  const idlen = body[20]!;
  const asPublic = body.subarray(21, 21 + idlen);
  const cipher = body.subarray(21 + idlen);
  const ecdh = createECDH('prime256v1');
  ecdh.setPrivateKey(uaPrivate);
  const secret = ecdh.computeSecret(asPublic);
  const prkKey = hmac(authSecret, secret);
  const keyInfo = Buffer.concat([Buffer.from('WebPush: info\0'), uaPublic, asPublic]);
  const ikm = hmac(prkKey, Buffer.concat([keyInfo, Buffer.from([1])]));
  const prk = hmac(salt, ikm);
  const cek = hmac(prk, Buffer.from('Content-Encoding: aes128gcm\0\x01')).subarray(0, 16);
  const nonce = hmac(prk, Buffer.from('Content-Encoding: nonce\0\x01')).subarray(0, 12);
  const d = createDecipheriv('aes-128-gcm', cek, nonce);
  d.setAuthTag(cipher.subarray(cipher.length - 16));
  const plain = Buffer.concat([d.update(cipher.subarray(0, cipher.length - 16)), d.final()]);
  let end = plain.length - 1;
  while (end >= 0 && plain[end] === 0) end--;
  if (plain[end] !== 2) throw new Error('bad padding delimiter');
  return plain.subarray(0, end);
}

/** Verifies `vapid t=..., k=...` and returns the claims and key. */
export function verifyVapid(header: string): { jwt: ReceivedPush['jwt']; key: string } {
  const m = /^vapid t=([^,\s]+),\s*k=([A-Za-z0-9_-]+)$/.exec(header);
  if (!m) throw new Error(`not a vapid Authorization header: ${header}`);
  const [h, p, s] = m[1]!.split('.');
  const point = Buffer.from(m[2]!, 'base64url');
  const key = createPublicKey({
    key: {
      kty: 'EC',
      crv: 'P-256',
      x: point.subarray(1, 33).toString('base64url'),
      y: point.subarray(33, 65).toString('base64url'),
    },
    format: 'jwk',
  });
  const ok = verify(
    'sha256',
    Buffer.from(`${h}.${p}`),
    { key, dsaEncoding: 'ieee-p1363' },
    Buffer.from(s!, 'base64url'),
  );
  if (!ok) throw new Error('VAPID signature does not verify');
  const jose = JSON.parse(Buffer.from(h!, 'base64url').toString()) as { alg: string };
  if (jose.alg !== 'ES256') throw new Error(`VAPID alg ${jose.alg}`);
  return { jwt: JSON.parse(Buffer.from(p!, 'base64url').toString()) as ReceivedPush['jwt'], key: m[2]! };
}

/**
 * A push service over HTTPS on loopback (self-signed certificate for 127.0.0.1 made with
 * openssl), which decrypts every push with the test subscription's keys and verifies its
 * VAPID token, as a browser's push service and the browser together would.
 */
export async function startFakePushService(): Promise<FakePushService> {
  const { dir, keyFile, certFile } = selfSignedCert(
    'mychat-push-',
    '127.0.0.1',
    'IP:127.0.0.1,DNS:push.test',
  );
  const keys = new Map<string, { priv: Buffer; pub: Buffer; auth: Buffer }>();
  const statuses = new Map<string, number>();
  const received: ReceivedPush[] = [];
  const waiters = new Set<() => void>();
  const server = https.createServer(
    { key: fs.readFileSync(keyFile), cert: fs.readFileSync(certFile) },
    (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const id = (req.url ?? '').replace(/^\/push\//, '');
        const k = keys.get(id);
        const status = statuses.get(id) ?? 201;
        try {
          if (!k) throw new Error(`unknown subscription ${id}`);
          if (req.headers['content-encoding'] !== 'aes128gcm') throw new Error('not aes128gcm');
          const plain = decryptAes128gcm(Buffer.concat(chunks), k.priv, k.pub, k.auth);
          const { jwt, key } = verifyVapid(String(req.headers.authorization));
          const headers: Record<string, string | undefined> = {};
          for (const [n, v] of Object.entries(req.headers)) headers[n] = Array.isArray(v) ? v.join(',') : v;
          received.push({
            id,
            headers,
            payload: JSON.parse(plain.toString('utf8')) as Record<string, unknown>,
            jwt,
            vapidKey: key,
            at: Date.now(),
          });
          for (const w of waiters) w();
          res.writeHead(status).end();
        } catch (err) {
          res.writeHead(400).end((err as Error).message);
        }
      });
    },
  );
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const origin = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const forId = (id?: string) => (id ? received.filter((p) => p.id === id) : received);
  return {
    origin,
    certPem: fs.readFileSync(certFile, 'utf8'),
    certFile,
    keyPem: fs.readFileSync(keyFile, 'utf8'),
    received,
    subscription() {
      const ecdh = createECDH('prime256v1');
      ecdh.generateKeys();
      const id = randomBytes(12).toString('base64url');
      const auth = randomBytes(16);
      keys.set(id, { priv: ecdh.getPrivateKey(), pub: ecdh.getPublicKey(), auth });
      return {
        id,
        endpoint: `${origin}/push/${id}`,
        p256dh: ecdh.getPublicKey().toString('base64url'),
        auth: auth.toString('base64url'),
      };
    },
    answer(id, status) {
      statuses.set(id, status);
    },
    for: (id) => forId(id),
    async waitFor(n, id, timeoutMs = 5000) {
      const end = Date.now() + timeoutMs;
      while (forId(id).length < n) {
        if (Date.now() > end)
          throw new Error(`expected ${n} pushes${id ? ` for ${id}` : ''}, got ${forId(id).length}`);
        await new Promise<void>((r) => {
          const t = setTimeout(r, 50);
          waiters.add(() => {
            clearTimeout(t);
            r();
          });
        });
        waiters.clear();
      }
      return forId(id);
    },
    async stop() {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
