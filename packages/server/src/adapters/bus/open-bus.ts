import type { Logger } from 'pino';
import type { Bus } from './bus.js';
import { createMemoryBus } from './memory.bus.js';

/** The global channel prefix when config gives none. */
export const DEFAULT_BUS_PREFIX = 'mychat:';

/**
 * Opens the bus port: Redis pub/sub when `redisUrl` is set (fan-out between processes),
 * otherwise in-process. `prefix` is prepended to every Redis channel; `clientName` labels
 * the two Redis connections in CLIENT LIST (`<name>-pub`, `<name>-sub`).
 */
export async function openBus(opts: {
  redisUrl?: string;
  prefix?: string;
  clientName?: string;
  logger: Logger;
}): Promise<Bus> {
  if (!opts.redisUrl) return createMemoryBus({ logger: opts.logger.child({ bus: 'memory' }) });
  const { openRedisBus } = await import('./redis.bus.js');
  return openRedisBus({
    url: opts.redisUrl,
    prefix: opts.prefix ?? DEFAULT_BUS_PREFIX,
    clientName: opts.clientName ?? 'mychat-bus',
    logger: opts.logger.child({ bus: 'redis' }),
  });
}
