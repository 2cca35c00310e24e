import { createPrivateKey, generateKeyPairSync } from 'node:crypto';
import webpush from 'web-push';
import { readOrCreateSecret } from '../../kernel/secret-files.js';

/** The server's VAPID identity: the P-256 key pair, raw and base64url, and the subject. */
export interface VapidKeys {
  /** Uncompressed point (65 bytes), base64url: the browser's applicationServerKey. */
  publicKey: string;
  /** The 32-byte private scalar, base64url. */
  privateKey: string;
}

/**
 * Reads the VAPID key pair (PKCS#8 PEM) from `file`, generating it on first start (mode
 * 0600, created exclusively so that two processes on one data dir agree).
 */
export function loadVapidKeys(file: string): VapidKeys {
  const pem = readOrCreateSecret(file, () =>
    generateKeyPairSync('ec', { namedCurve: 'prime256v1' })
      .privateKey.export({ format: 'pem', type: 'pkcs8' })
      .toString(),
  );
  const jwk = createPrivateKey(pem).export({ format: 'jwk' });
  if (jwk.crv !== 'P-256' || !jwk.d || !jwk.x || !jwk.y)
    throw new Error(`${file} is not a P-256 private key`);
  const point = Buffer.concat([
    Buffer.from([4]),
    Buffer.from(jwk.x, 'base64url'),
    Buffer.from(jwk.y, 'base64url'),
  ]);
  return { publicKey: point.toString('base64url'), privateKey: jwk.d };
}

/** How long a VAPID token is valid (RFC 8292 allows at most 24 h). */
const TOKEN_SECONDS = 12 * 3600;
/** A cached token is replaced this long before it expires. */
const REFRESH_SECONDS = 3600;

/**
 * The `Authorization: vapid t=..., k=...` header per push service origin, signed once and
 * reused until an hour before it expires (an ES256 signature per push would cost more than
 * the payload's encryption).
 */
export class VapidSigner {
  private readonly cache = new Map<string, { header: string; exp: number }>();

  constructor(
    readonly keys: VapidKeys,
    private readonly subject: string,
    private readonly nowMs: () => number,
  ) {}

  header(audience: string): string {
    const now = Math.floor(this.nowMs() / 1000);
    const hit = this.cache.get(audience);
    if (hit && hit.exp - REFRESH_SECONDS > now) return hit.header;
    const exp = now + TOKEN_SECONDS;
    const { Authorization } = webpush.getVapidHeaders(
      audience,
      this.subject,
      this.keys.publicKey,
      this.keys.privateKey,
      'aes128gcm',
      exp,
    ) as { Authorization: string };
    if (this.cache.size > 1000) this.cache.clear();
    this.cache.set(audience, { header: Authorization, exp });
    return Authorization;
  }
}
