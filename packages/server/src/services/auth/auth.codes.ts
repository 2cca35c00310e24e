import { createHmac, randomBytes, randomInt, timingSafeEqual } from 'node:crypto';
import type { Kv } from '../../adapters/kv/kv.js';
import { WindowLimit } from '../../adapters/kv/window-limit.js';
import type { Clock } from '../../kernel/clock.js';
import { AppError, ErrorCode, errors } from '../../kernel/errors.js';
import type { Destination } from './auth.repository.js';
import type { Purpose } from './auth.validation.js';

export interface CodeRules {
  ttlSeconds: number;
  /** Tries per code from one client IP. */
  maxAttempts: number;
  /** Tries per code from everyone together. */
  maxAttemptsTotal: number;
  /** Tries at any code from one client IP per hour. */
  triesPerIpPerHour: number;
  cooldownSeconds: number;
  perDestinationPerHour: number;
  perIpPerHour: number;
}

interface StoredCode {
  /** HMAC of the code; the code itself is never stored. */
  h: string;
  /** Expiry, epoch ms. */
  e: number;
  /** This code's generation: a new code gives every requester fresh tries. */
  g: string;
}

const HOUR = 3_600_000;

/**
 * Verification codes: 6 digits from a CSPRNG, stored only as an HMAC, valid for
 * `ttlSeconds`, single use. Sending is limited per destination (a cooldown and an hourly
 * cap) and per IP. A new code replaces the previous one for the same destination and purpose.
 *
 * Tries are limited per requester so a stranger cannot burn the owner's code: `maxAttempts`
 * per code from one IP (the next is refused even when right), `triesPerIpPerHour` from one IP
 * at any code, and a bounded `maxAttemptsTotal` per code from everyone, which keeps guesses
 * from many addresses within a fixed budget. Tries refused by a per-IP limit never count
 * against the code's total.
 */
export class VerificationCodes {
  private readonly triesPerIp: WindowLimit;

  constructor(
    private readonly kv: Kv,
    private readonly secret: Buffer,
    private readonly rules: CodeRules,
    private readonly clock: Clock,
  ) {
    this.triesPerIp = new WindowLimit(kv, 'auth:code-ip', rules.triesPerIpPerHour, HOUR);
  }

  private key(kind: string, purpose: Purpose, d: Destination) {
    return `auth:${kind}:${purpose}:${d.kind}:${d.value}`;
  }

  private mac(purpose: Purpose, d: Destination, code: string): string {
    return createHmac('sha256', this.secret)
      .update(`${purpose}\n${d.kind}:${d.value}\n${code}`)
      .digest('base64url');
  }

  /**
   * Counts a send against the limits; RATE_LIMITED (with retry-after) when over.
   * Checked before anything is generated or sent, and counted whether or not an
   * account exists, so limits leak nothing either.
   */
  async admitSend(d: Destination, ip: string): Promise<void> {
    const dest = `${d.kind}:${d.value}`;
    if (ip) {
      const n = await this.kv.incr(`auth:send-ip:${ip}`, { ttlMs: HOUR });
      if (n > this.rules.perIpPerHour)
        throw errors.rateLimited((await this.kv.pttl(`auth:send-ip:${ip}`)) / 1000);
    }
    if (this.rules.cooldownSeconds > 0) {
      const fresh = await this.kv.set(`auth:send-cooldown:${dest}`, '1', {
        ttlMs: this.rules.cooldownSeconds * 1000,
        ifAbsent: true,
      });
      if (!fresh) {
        const wait = await this.kv.pttl(`auth:send-cooldown:${dest}`);
        throw errors.rateLimited(wait / 1000, 'a code was sent moments ago; wait before asking again');
      }
    }
    const n = await this.kv.incr(`auth:send-hour:${dest}`, { ttlMs: HOUR });
    if (n > this.rules.perDestinationPerHour) {
      throw errors.rateLimited(
        (await this.kv.pttl(`auth:send-hour:${dest}`)) / 1000,
        'too many codes for this address; try again later',
      );
    }
  }

  /** Creates and stores a new code, resetting the attempt count. Returns the code to send. */
  async issue(purpose: Purpose, d: Destination): Promise<string> {
    const code = randomInt(0, 1_000_000).toString().padStart(6, '0');
    const ttlMs = this.rules.ttlSeconds * 1000;
    const stored: StoredCode = {
      h: this.mac(purpose, d, code),
      e: this.clock.now() + ttlMs,
      g: randomBytes(9).toString('base64url'),
    };
    await this.kv.del(this.key('code-tries', purpose, d));
    await this.kv.del(this.key('code-used', purpose, d));
    await this.kv.set(this.key('code', purpose, d), JSON.stringify(stored), { ttlMs });
    return code;
  }

  /**
   * Checks and consumes a code presented from `ip`. RATE_LIMITED past the per-IP hourly cap;
   * CODE_TOO_MANY_ATTEMPTS past the tries of this IP or of everyone for this code, even for the
   * right code; CODE_USED for a code already consumed; CODE_EXPIRED when none is live;
   * CODE_INVALID for a wrong one.
   */
  async consume(purpose: Purpose, d: Destination, code: string, ip: string): Promise<void> {
    const raw = await this.verify(purpose, d, code, ip);
    // getDel makes consumption single-use even when two requests race with one code.
    const taken = await this.kv.getDel(this.key('code', purpose, d));
    if (taken !== raw) {
      throw new AppError(ErrorCode.CODE_USED, 'that code has already been used; ask for a new one', {
        field: 'code',
      });
    }
    await this.kv.set(this.key('code-used', purpose, d), this.mac(purpose, d, code), {
      ttlMs: this.rules.ttlSeconds * 1000,
    });
  }

  /**
   * Whether a code is right, without using it up, for a request refused for another field (a
   * sign-up with a weak password) that reports the code's state too. A right, live code within
   * the caps passes uncounted, so the corrected retry still has its tries; a wrong one is
   * counted and refused exactly as consume() would; past the caps every code is refused, right
   * or not, so this tells a guesser nothing consume() would not.
   */
  async check(purpose: Purpose, d: Destination, code: string, ip: string): Promise<void> {
    const raw = await this.kv.get(this.key('code', purpose, d));
    const stored = raw ? (JSON.parse(raw) as StoredCode) : undefined;
    const count = async (k: string) => Number((await this.kv.get(k)) ?? 0);
    const within =
      (await count(`${this.key('code-tries-ip', purpose, d)}:${stored?.g ?? '-'}:${ip || 'unknown'}`)) <
        this.rules.maxAttempts &&
      (await count(this.key('code-tries', purpose, d))) < this.rules.maxAttemptsTotal;
    const right = !!stored && stored.e > this.clock.now() && same(stored.h, this.mac(purpose, d, code));
    if (within && right) return;
    await this.verify(purpose, d, code, ip);
  }

  /** The checks of consume() (counted against the caps) without using the code up. */
  async verify(purpose: Purpose, d: Destination, code: string, ip: string): Promise<string> {
    const requester = ip || 'unknown';
    const raw = await this.kv.get(this.key('code', purpose, d));
    const stored = raw ? (JSON.parse(raw) as StoredCode) : undefined;
    const ttlMs = this.rules.ttlSeconds * 1000;
    const ipWait = await this.triesPerIp.hit(requester);
    if (ipWait !== undefined) throw errors.rateLimited(ipWait, 'too many code tries; try again later');
    const mine = await this.kv.incr(
      `${this.key('code-tries-ip', purpose, d)}:${stored?.g ?? '-'}:${requester}`,
      { ttlMs },
    );
    const total =
      mine > this.rules.maxAttempts ? 0 : await this.kv.incr(this.key('code-tries', purpose, d), { ttlMs });
    if (mine > this.rules.maxAttempts || total > this.rules.maxAttemptsTotal) {
      throw new AppError(ErrorCode.CODE_TOO_MANY_ATTEMPTS, 'too many wrong tries; ask for a new code', {
        field: 'code',
      });
    }
    const mac = this.mac(purpose, d, code);
    if (!stored || stored.e <= this.clock.now()) {
      const used = await this.kv.get(this.key('code-used', purpose, d));
      if (used && same(used, mac)) {
        throw new AppError(ErrorCode.CODE_USED, 'that code has already been used; ask for a new one', {
          field: 'code',
        });
      }
      throw new AppError(ErrorCode.CODE_EXPIRED, 'the code has expired; ask for a new one', {
        field: 'code',
      });
    }
    if (!same(stored.h, mac)) {
      throw new AppError(ErrorCode.CODE_INVALID, 'the code is not right', { field: 'code' });
    }
    return raw!;
  }
}

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
