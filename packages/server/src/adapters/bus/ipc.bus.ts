import type { Logger } from 'pino';
import type { Bus, BusHandler, BusSubscription } from './bus.js';
import { deliverSafely } from './deliver.js';

/** How a socket worker reaches the bus of its primary. */
export interface BusUplink {
  /** Subscribes this worker to `channel` on the primary; resolves once it is active there. */
  subscribe(channel: string): Promise<void>;
  /** Drops this worker's subscription to `channel` (sent in order after the subscribe). */
  unsubscribe(channel: string): void;
  /** Publishes `payload` on every channel of `channels`, once. */
  publish(channels: readonly string[], payload: Uint8Array): void;
  /** Whether the link to the primary is up. */
  connected(): boolean;
}

/** The ipc bus, plus the entry its link calls with what the primary delivers. */
export interface IpcBus extends Bus {
  /** A payload the primary routed to this worker, for each of `channels` it subscribed. */
  deliver(channels: readonly string[], payload: Uint8Array): void;
}

interface Entry {
  handler: BusHandler;
  active: boolean;
}

interface ChannelState {
  entries: Set<Entry>;
  /** Settles once the primary has the subscription. */
  ready: Promise<void>;
}

/**
 * The bus port of a socket worker: publishes go to the primary's bus (memory, Redis or
 * NATS), and the primary sends each payload back once per worker that subscribed to any of
 * its channels, naming those channels, never once per user. Channels are ref-counted here,
 * like the Redis adapter's, so the primary holds one subscription per channel and worker
 * however many sockets of one user the worker has. Subscribe and unsubscribe of a channel
 * travel in order on one link, so they cannot overtake each other.
 */
export function createIpcBus(o: { uplink: BusUplink; logger: Logger }): IpcBus {
  const channels = new Map<string, ChannelState>();
  let closed = false;
  const open = () => {
    if (closed) throw new Error('bus is closed');
  };

  return {
    async publish(channel, payload) {
      open();
      o.uplink.publish([channel], payload);
    },
    async publishMany(list, payload) {
      open();
      if (list.length) o.uplink.publish(list, payload);
    },
    async subscribe(channel, handler): Promise<BusSubscription> {
      open();
      let state = channels.get(channel);
      if (!state) {
        const fresh: ChannelState = { entries: new Set(), ready: o.uplink.subscribe(channel) };
        fresh.ready.catch(() => {
          if (channels.get(channel) === fresh && fresh.entries.size === 0) channels.delete(channel);
        });
        channels.set(channel, (state = fresh));
      }
      const own = state;
      const entry: Entry = { handler, active: true };
      own.entries.add(entry);
      const leave = () => {
        if (!entry.active) return;
        entry.active = false;
        own.entries.delete(entry);
        if (own.entries.size > 0 || channels.get(channel) !== own) return;
        channels.delete(channel);
        if (!closed) o.uplink.unsubscribe(channel);
      };
      try {
        await own.ready;
      } catch (err) {
        leave();
        throw err;
      }
      return { unsubscribe: async () => leave() };
    },
    deliver(list, payload) {
      for (const channel of list) {
        const state = channels.get(channel);
        if (!state) continue;
        for (const e of state.entries) if (e.active) deliverSafely(e.handler, payload, channel, o.logger);
      }
    },
    onResume() {
      // The link ends only with the primary, and a worker without its primary exits.
    },
    connected: () => !closed && o.uplink.connected(),
    async close() {
      closed = true;
      for (const state of channels.values()) for (const e of state.entries) e.active = false;
      channels.clear();
    },
  };
}
