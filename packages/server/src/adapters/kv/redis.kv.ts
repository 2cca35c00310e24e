import { ReplyError, type Redis } from 'ioredis';
import type { Logger } from 'pino';
import { checkTtlMs, type Kv } from './kv.js';
import { AppError, ErrorCode } from '../../kernel/errors.js';
import { closeRedis, connectRedis, failFast } from '../../kernel/redis-connection.js';

/**
 * INCRBY that sets the TTL only when this call created the key, in one atomic step: with a
 * separate PEXPIRE a crash in between would leave a rate-limit counter that never resets,
 * and a racing caller could extend the window.
 */
const INCR_WITH_TTL = `
local created = redis.call('EXISTS', KEYS[1]) == 0
local value = redis.call('INCRBY', KEYS[1], ARGV[1])
if created and tonumber(ARGV[2]) > 0 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return value`;

/**
 * Lease sets are sorted sets scored by expiry (Redis's own clock, so gateways with skewed
 * clocks agree). Each script drops expired members first and keeps the key's TTL at its
 * latest member's expiry. ARGV: [mode, member, ttlMs]; mode add | remove | count.
 */
const LEASE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if ARGV[1] == 'add' then
  redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[2])
elseif ARGV[1] == 'remove' then
  redis.call('ZREM', KEYS[1], ARGV[2])
end
local n = redis.call('ZCARD', KEYS[1])
if n > 0 and ARGV[1] ~= 'count' then
  local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
  redis.call('PEXPIREAT', KEYS[1], math.floor(tonumber(last[2])))
end
return n`;

type ScriptedRedis = Redis & {
  mychatIncrWithTtl(key: string, by: number, ttlMs: number): Promise<number>;
  mychatLease(key: string, mode: 'add' | 'remove' | 'count', member: string, ttlMs: number): Promise<number>;
};

/**
 * The kv port on Redis (>= 6.2 for GETDEL). Every key is stored as `prefix + key`, so
 * deployments and test runs sharing one Redis never see each other's keys.
 */
export async function openRedisKv(opts: {
  url: string;
  prefix: string;
  logger: Logger;
  /** Bound on one command; see failFast. */
  commandTimeoutMs: number;
}): Promise<Kv> {
  const redis = (await connectRedis(opts.url, opts.logger, {
    connectionName: 'mychat-kv',
    // Commands of one event-loop turn leave in one write (many requests each incr a limit).
    enableAutoPipelining: true,
    ...failFast(opts.commandTimeoutMs),
  })) as ScriptedRedis;
  // defineCommand sends EVALSHA and falls back to EVAL once, so the script is not resent each call.
  redis.defineCommand('mychatIncrWithTtl', { numberOfKeys: 1, lua: INCR_WITH_TTL });
  redis.defineCommand('mychatLease', { numberOfKeys: 1, lua: LEASE });
  const k = (key: string) => opts.prefix + key;

  const kv: Kv = {
    get: (key) => redis.get(k(key)),
    getMany: async (keys) => (keys.length === 0 ? [] : redis.mget(keys.map(k))),
    async set(key, value, o = {}) {
      const ttl = o.ttlMs === undefined ? undefined : checkTtlMs(o.ttlMs);
      let reply: string | null;
      if (ttl !== undefined && o.ifAbsent) reply = await redis.set(k(key), value, 'PX', ttl, 'NX');
      else if (ttl !== undefined) reply = await redis.set(k(key), value, 'PX', ttl);
      else if (o.ifAbsent) reply = await redis.set(k(key), value, 'NX');
      else reply = await redis.set(k(key), value);
      return reply === 'OK';
    },
    async del(key) {
      return (await redis.del(k(key))) > 0;
    },
    getDel: (key) => redis.getdel(k(key)),
    async incr(key, o = {}) {
      const by = o.by ?? 1;
      if (!Number.isSafeInteger(by)) throw new RangeError(`incr by must be an integer, got ${by}`);
      if (o.ttlMs === undefined) return redis.incrby(k(key), by);
      return redis.mychatIncrWithTtl(k(key), by, checkTtlMs(o.ttlMs));
    },
    pttl: (key) => redis.pttl(k(key)),
    async expire(key, ttlMs) {
      return (await redis.pexpire(k(key), checkTtlMs(ttlMs))) === 1;
    },
    leaseAdd: (key, member, ttlMs) => redis.mychatLease(k(key), 'add', member, checkTtlMs(ttlMs)),
    leaseRemove: (key, member) => redis.mychatLease(k(key), 'remove', member, 1),
    leaseCount: (key) => redis.mychatLease(k(key), 'count', '', 1),
    async ping() {
      await redis.ping();
    },
    close: () => closeRedis(redis),
  };
  return unavailableWhenDown(kv);
}

/**
 * Every call's failure to reach Redis (not connected, timed out, connection lost) becomes
 * UNAVAILABLE, which clients retry, rather than an internal error. An error Redis itself
 * answered (a script or type error: a bug) stays as it is.
 */
function unavailableWhenDown(kv: Kv): Kv {
  const wrapped = { ...kv } as Record<string, unknown>;
  for (const [name, fn] of Object.entries(kv)) {
    if (typeof fn !== 'function' || name === 'close') continue;
    wrapped[name] = (...args: unknown[]) =>
      (fn as (...a: unknown[]) => Promise<unknown>)(...args).catch((err: unknown) => {
        if (err instanceof ReplyError || err instanceof RangeError) throw err;
        throw new AppError(ErrorCode.UNAVAILABLE, 'the shared store (Redis) is unreachable; retry shortly');
      });
  }
  return wrapped as unknown as Kv;
}
