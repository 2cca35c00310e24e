import type { Logger } from 'pino';
import type { Kv } from './kv.js';
import { createMemoryKv } from './memory.kv.js';

/** The global key prefix when config gives none. */
export const DEFAULT_KV_PREFIX = 'mychat:';

/**
 * Opens the kv port: Redis when `redisUrl` is set (shared by every process of a
 * deployment), otherwise process memory (the one-process default). `prefix` is prepended
 * to every Redis key; it has no effect in memory, where each instance is private anyway.
 */
export async function openKv(opts: {
  redisUrl?: string;
  prefix?: string;
  logger: Logger;
  /** Bound on one Redis command (config redis.commandTimeoutMs). */
  commandTimeoutMs?: number;
}): Promise<Kv> {
  if (!opts.redisUrl) return createMemoryKv();
  const { openRedisKv } = await import('./redis.kv.js');
  return openRedisKv({
    url: opts.redisUrl,
    prefix: opts.prefix ?? DEFAULT_KV_PREFIX,
    logger: opts.logger.child({ kv: 'redis' }),
    commandTimeoutMs: opts.commandTimeoutMs ?? 2_000,
  });
}
