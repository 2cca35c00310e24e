import type { Logger } from 'pino';
import type { BusHandler } from './bus.js';

/**
 * Calls one handler so that nothing it does can break delivery to the others: a throw or
 * a rejected promise (async handlers type-check as `void`) is logged, never propagated.
 */
export function deliverSafely(
  handler: BusHandler,
  payload: Uint8Array,
  channel: string,
  logger: Logger,
): void {
  const fail = (err: unknown) => logger.error({ err, channel }, 'bus handler failed');
  try {
    const result = handler(payload, channel) as unknown;
    if (result instanceof Promise) result.catch(fail);
  } catch (err) {
    fail(err);
  }
}
