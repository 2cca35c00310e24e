import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
} from 'node:crypto';
import { errors as joseErrors, jwtVerify, SignJWT } from 'jose';
import { AppError, ErrorCode } from '../../kernel/errors.js';
import { readOrCreateSecret } from '../../kernel/secret-files.js';

/** Who an access token speaks for. */
export interface AccessClaims {
  userId: string;
  sessionId: string;
  clientType: string;
  deviceId: string;
  /** Expiry, epoch seconds. */
  exp: number;
}

const AUDIENCE = 'mychat';
const ISSUER = 'mychat';

/** Verified tokens remembered (a client presents its token on every call and socket). */
const VERIFIED_CACHE_SIZE = 20_000;

/**
 * Signs and verifies access tokens: EdDSA (Ed25519) JWTs carrying sub, sid, aud, exp,
 * client_type and device_id. Verification accepts only EdDSA with our audience and
 * issuer, so `alg: none`, HMAC confusion and tokens minted for something else fail.
 */
export class AccessTokens {
  private readonly kid: string;
  /**
   * Tokens whose signature and claims were checked, by token text: the same text always
   * verifies the same way, so only expiry is checked again (an Ed25519 verification costs
   * ~0.2 ms, and catching up after a reconnect presents one token three times or more).
   */
  private readonly verified = new Map<string, AccessClaims>();

  private constructor(
    private readonly privateKey: KeyObject,
    private readonly publicKey: KeyObject,
  ) {
    const der = publicKey.export({ format: 'der', type: 'spki' });
    this.kid = createHash('sha256').update(der).digest('base64url').slice(0, 16);
  }

  /** Loads the Ed25519 key from a PKCS#8 PEM file, generating it on first start. */
  static fromKeyFile(file: string): AccessTokens {
    const pem = readOrCreateSecret(file, () =>
      generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    );
    const privateKey = createPrivateKey(pem);
    if (privateKey.asymmetricKeyType !== 'ed25519') {
      throw new Error(`${file} must hold an Ed25519 private key (PKCS#8 PEM)`);
    }
    return new AccessTokens(privateKey, createPublicKey(privateKey));
  }

  async sign(
    claims: Omit<AccessClaims, 'exp'>,
    ttlSeconds: number,
    nowMs: number,
  ): Promise<{ token: string; exp: number }> {
    const iat = Math.floor(nowMs / 1000);
    const exp = iat + ttlSeconds;
    const token = await new SignJWT({
      sid: claims.sessionId,
      client_type: claims.clientType,
      device_id: claims.deviceId,
    })
      .setProtectedHeader({ alg: 'EdDSA', typ: 'JWT', kid: this.kid })
      .setSubject(claims.userId)
      .setAudience(AUDIENCE)
      .setIssuer(ISSUER)
      .setIssuedAt(iat)
      .setExpirationTime(exp)
      .sign(this.privateKey);
    return { token, exp };
  }

  /** Verifies a token; TOKEN_EXPIRED or TOKEN_INVALID otherwise. */
  async verify(token: string, nowMs: number = Date.now()): Promise<AccessClaims> {
    if (!token || token.length > 4096)
      throw new AppError(ErrorCode.TOKEN_INVALID, 'access token is malformed');
    const known = this.verified.get(token);
    if (known) {
      if (nowMs < known.exp * 1000) return { ...known };
      this.verified.delete(token);
    }
    const claims = await this.verifyFully(token, nowMs);
    if (this.verified.size >= VERIFIED_CACHE_SIZE) this.verified.delete(this.verified.keys().next().value!);
    this.verified.set(token, claims);
    return { ...claims };
  }

  private async verifyFully(token: string, nowMs: number): Promise<AccessClaims> {
    try {
      const { payload } = await jwtVerify(token, this.publicKey, {
        algorithms: ['EdDSA'],
        audience: AUDIENCE,
        issuer: ISSUER,
        currentDate: new Date(nowMs),
        requiredClaims: ['sub', 'exp', 'sid'],
      });
      const { sub, sid, client_type, device_id, exp } = payload;
      if (
        typeof sid !== 'string' ||
        typeof client_type !== 'string' ||
        typeof device_id !== 'string' ||
        !sub
      ) {
        throw new AppError(ErrorCode.TOKEN_INVALID, 'access token is missing claims');
      }
      return { userId: sub, sessionId: sid, clientType: client_type, deviceId: device_id, exp: exp! };
    } catch (err) {
      if (err instanceof AppError) throw err;
      if (err instanceof joseErrors.JWTExpired) {
        throw new AppError(ErrorCode.TOKEN_EXPIRED, 'access token has expired; refresh the session');
      }
      throw new AppError(ErrorCode.TOKEN_INVALID, 'access token is invalid');
    }
  }
}
