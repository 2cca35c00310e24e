import type { Redis, RedisOptions } from 'ioredis';
import type { Logger } from 'pino';

/**
 * For clients that answer requests (kv, bus publishes): while Redis is unreachable a
 * command fails at once instead of waiting in ioredis's offline queue through reconnect
 * attempts (tens of seconds), and one sent on a connection that silently died fails after
 * `commandTimeoutMs`. Callers turn the failure into UNAVAILABLE; the client keeps reconnecting
 * in the background and commands work again as soon as it is back.
 */
export const failFast = (commandTimeoutMs: number): RedisOptions => ({
  enableOfflineQueue: false,
  maxRetriesPerRequest: 0,
  commandTimeout: commandTimeoutMs,
});

/** The URL without its password, for logs and error messages. */
export function redactRedisUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'redis://(unparseable url)';
  }
}

/**
 * Connects one ioredis client and waits until it is ready, so a wrong URL fails at boot
 * rather than at the first request. ioredis is imported here, lazily: processes on the
 * embedded defaults never load it. Shared by the kv and bus adapters (here in the kernel: an
 * adapter imports only its own folder and the kernel).
 */
export async function connectRedis(url: string, logger: Logger, options: RedisOptions = {}): Promise<Redis> {
  const { Redis } = await import('ioredis');
  const client = new Redis(url, {
    lazyConnect: true,
    // A request should fail within about a second when Redis is down, not queue for long.
    maxRetriesPerRequest: 3,
    ...options,
  });
  // ioredis emits an error per failed reconnect attempt: log each distinct one once.
  let lastError = '';
  client.on('error', (err: Error) => {
    if (err.message === lastError) return;
    lastError = err.message;
    logger.warn({ err: { message: err.message } }, 'redis connection error');
  });
  client.on('ready', () => {
    if (lastError !== '') logger.info('redis connection restored');
    lastError = '';
  });
  try {
    await client.connect();
  } catch (err) {
    client.disconnect();
    const reason = err instanceof Error ? err.message : String(err);
    throw new Error(`cannot connect to redis at ${redactRedisUrl(url)}: ${reason}`, { cause: err });
  }
  return client;
}

/** Closes a client politely, falling back to a hard disconnect when the server is gone. */
export async function closeRedis(client: Redis): Promise<void> {
  if (client.status === 'end') return;
  try {
    await client.quit();
  } catch {
    client.disconnect();
  }
}
