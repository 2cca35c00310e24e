import type { Logger } from 'pino';
import type { Bus, BusHandler, BusSubscription } from './bus.js';
import { pooledCopy } from '../../kernel/pooled-bytes.js';
import { deliverSafely } from './deliver.js';

interface Entry {
  handler: BusHandler;
  active: boolean;
}

/**
 * The bus inside one process (the embedded default). Delivery is asynchronous, like a real
 * broker, so a handler that publishes cannot re-enter its publisher, and in publish order
 * (microtasks run first in, first out).
 */
export function createMemoryBus(opts: { logger: Logger }): Bus {
  const channels = new Map<string, Set<Entry>>();
  let closed = false;
  const open = () => {
    if (closed) throw new Error('bus is closed');
  };

  return {
    async publish(channel, payload) {
      open();
      const entries = channels.get(channel);
      if (!entries || entries.size === 0) return;
      // A copy, as the network would make: the publisher may reuse its buffer at once.
      const copy = pooledCopy(payload);
      const targets = [...entries];
      queueMicrotask(() => {
        // Checked at delivery so an unsubscribe right after publish stops it, as on Redis.
        for (const e of targets) if (e.active) deliverSafely(e.handler, copy, channel, opts.logger);
      });
    },
    async publishMany(list, payload) {
      open();
      const targets: [Entry, string][] = [];
      for (const channel of list) for (const e of channels.get(channel) ?? []) targets.push([e, channel]);
      if (!targets.length) return;
      // One copy for all: subscribers get the same bytes object (gateways decode it once).
      const copy = pooledCopy(payload);
      queueMicrotask(() => {
        for (const [e, channel] of targets)
          if (e.active) deliverSafely(e.handler, copy, channel, opts.logger);
      });
    },
    async subscribe(channel, handler): Promise<BusSubscription> {
      open();
      const entry: Entry = { handler, active: true };
      let entries = channels.get(channel);
      if (!entries) channels.set(channel, (entries = new Set()));
      entries.add(entry);
      return {
        async unsubscribe() {
          entry.active = false;
          entries.delete(entry);
          if (entries.size === 0 && channels.get(channel) === entries) channels.delete(channel);
        },
      };
    },
    onResume() {
      // In one process nothing is ever lost, so there is nothing to resume from.
    },
    connected: () => !closed,
    async close() {
      closed = true;
      for (const entries of channels.values()) for (const e of entries) e.active = false;
      channels.clear();
    },
  };
}
