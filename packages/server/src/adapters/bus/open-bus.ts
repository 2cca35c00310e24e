import type { Logger } from 'pino';
import type { Bus } from './bus.js';
import { createMemoryBus } from './memory.bus.js';

/** The global channel prefix when config gives none. */
export const DEFAULT_BUS_PREFIX = 'mychat:';

/**
 * Opens the bus port: NATS when `busUrl` is a `nats://` URL, else Redis pub/sub when
 * `redisUrl` is set (fan-out between processes), otherwise in-process. `prefix` is prepended
 * to every channel on the wire; `clientName` labels the connections (Redis CLIENT LIST shows
 * `<name>-pub` and `<name>-sub`, NATS `connz` shows `<name>`).
 */
export async function openBus(opts: {
  busUrl?: string;
  redisUrl?: string;
  prefix?: string;
  clientName?: string;
  logger: Logger;
  /** Bound on one Redis command (config redis.commandTimeoutMs). */
  commandTimeoutMs?: number;
}): Promise<Bus> {
  const prefix = opts.prefix ?? DEFAULT_BUS_PREFIX;
  const clientName = opts.clientName ?? 'mychat-bus';
  if (opts.busUrl) {
    if (!/^nats:\/\//i.test(opts.busUrl))
      throw new Error(`bus.url must be a nats:// URL (Redis is chosen by redis.url), got ${opts.busUrl}`);
    const { openNatsBus } = await import('./nats.bus.js');
    return openNatsBus({ url: opts.busUrl, prefix, clientName, logger: opts.logger.child({ bus: 'nats' }) });
  }
  if (!opts.redisUrl) return createMemoryBus({ logger: opts.logger.child({ bus: 'memory' }) });
  const { openRedisBus } = await import('./redis.bus.js');
  return openRedisBus({
    url: opts.redisUrl,
    prefix,
    clientName,
    logger: opts.logger.child({ bus: 'redis' }),
    commandTimeoutMs: opts.commandTimeoutMs ?? 2_000,
  });
}
