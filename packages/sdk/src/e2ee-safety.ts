/**
 * Safety numbers (docs/security.md, section 4): 60 digits over both identity keys, the same for
 * both people, and the QR payload that carries them.
 */
import { bs, concat } from './e2ee-crypto.js';

const ITERATIONS = 5200;
const enc = new TextEncoder();

/** 30 digits for one person: SHA-512 iterated over the key and the user id, read 5 bytes at a time. */
async function half(identityKey: Uint8Array, userId: string): Promise<string> {
  const subtle = globalThis.crypto.subtle;
  let hash = new Uint8Array(
    await subtle.digest('SHA-512', concat(new Uint8Array([0, 0]), identityKey, enc.encode(userId))),
  );
  for (let i = 1; i < ITERATIONS; i++)
    hash = new Uint8Array(await subtle.digest('SHA-512', concat(hash, identityKey)));
  let out = '';
  for (let i = 0; i < 30; i += 5) {
    let n = 0;
    for (let j = 0; j < 5; j++) n = n * 256 + hash[i + j]!;
    out += String(n % 100000).padStart(5, '0');
  }
  return out;
}

export interface SafetyNumber {
  /** 60 digits; show them in 12 groups of 5. */
  digits: string;
  /** What the QR code carries: `mychat-sn:1:{digits}:{user}:{user}` (the ids sorted). */
  qr: string;
}

export async function safetyNumber(
  a: { userId: string; identityKey: Uint8Array },
  b: { userId: string; identityKey: Uint8Array },
): Promise<SafetyNumber> {
  const [ha, hb] = await Promise.all([half(bs(a.identityKey), a.userId), half(bs(b.identityKey), b.userId)]);
  const digits = ha < hb ? ha + hb : hb + ha;
  const ids = [a.userId, b.userId].sort();
  return { digits, qr: `mychat-sn:1:${digits}:${ids[0]}:${ids[1]}` };
}

/** Groups of 5 digits, for reading aloud. */
export const groupDigits = (digits: string) => digits.match(/.{1,5}/g) ?? [];
