import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { closeRedis, connectRedis, failFast } from '../../kernel/redis-connection.js';
import type { Bus, BusHandler, BusSubscription } from './bus.js';
import { deliverSafely } from './deliver.js';

interface Entry {
  handler: BusHandler;
  active: boolean;
}

/**
 * One Redis channel's local state. Every SUBSCRIBE/UNSUBSCRIBE for it runs through `queue`
 * one at a time and brings Redis in line with `entries`, so a subscribe racing an
 * unsubscribe of the same channel can never leave Redis unsubscribed under a live handler.
 */
interface ChannelState {
  entries: Set<Entry>;
  subscribed: boolean;
  queue: Promise<void>;
}

/**
 * The bus on Redis pub/sub: one connection publishes, one (in subscriber mode) receives.
 * Channels are ref-counted, so a gateway with 10,000 sockets of one user holds one Redis
 * subscription. After a reconnect ioredis resubscribes every channel (autoResubscribe);
 * what was published meanwhile is lost, which the bus contract allows.
 */
export async function openRedisBus(opts: {
  url: string;
  prefix: string;
  clientName: string;
  logger: Logger;
  /** Bound on one command; see failFast. */
  commandTimeoutMs: number;
}): Promise<Bus> {
  const { prefix, logger } = opts;
  const pub = await connectRedis(opts.url, logger, {
    connectionName: `${opts.clientName}-pub`,
    // Publishes of one event-loop turn (a group push) leave in one write.
    enableAutoPipelining: true,
    ...failFast(opts.commandTimeoutMs),
  });
  let sub: Redis;
  try {
    sub = await connectRedis(opts.url, logger, {
      connectionName: `${opts.clientName}-sub`,
      autoResubscribe: true,
    });
  } catch (err) {
    await closeRedis(pub);
    throw err;
  }

  const channels = new Map<string, ChannelState>();
  let closed = false;
  const open = () => {
    if (closed) throw new Error('bus is closed');
  };

  // The Buffer event keeps payloads binary-safe; the string one would mangle non-UTF-8 bytes.
  sub.on('messageBuffer', (rawChannel: Buffer, message: Buffer) => {
    const full = rawChannel.toString('utf8');
    const state = channels.get(full);
    if (!state) return;
    const channel = full.slice(prefix.length);
    for (const e of [...state.entries]) if (e.active) deliverSafely(e.handler, message, channel, logger);
  });

  // A subscriber connection that dropped and came back missed whatever was published in
  // between. ioredis resubscribes right after 'ready'; a PING queued behind those SUBSCRIBEs
  // answers once they are active.
  const resumed = new Set<() => void>();
  let lost = false;
  sub.on('close', () => {
    if (!closed) lost = true;
  });
  sub.on('ready', () => {
    if (!lost) return;
    lost = false;
    const fire = () => {
      logger.warn('bus subscriber reconnected; hints published meanwhile are lost');
      for (const l of resumed) {
        try {
          l();
        } catch (err) {
          logger.error({ err }, 'bus resume listener failed');
        }
      }
    };
    sub.ping().then(fire, fire);
  });

  const reconcile = async (full: string, state: ChannelState) => {
    if (state.entries.size > 0 && !state.subscribed) {
      await sub.subscribe(full);
      state.subscribed = true;
    } else if (state.entries.size === 0 && state.subscribed) {
      await sub.unsubscribe(full);
      state.subscribed = false;
    }
    if (state.entries.size === 0 && !state.subscribed && channels.get(full) === state) channels.delete(full);
  };

  const enqueue = (full: string, state: ChannelState): Promise<void> => {
    const step = state.queue.then(() => (closed ? undefined : reconcile(full, state)));
    state.queue = step.catch(() => undefined);
    return step;
  };

  return {
    async publish(channel, payload) {
      open();
      await pub.publish(
        prefix + channel,
        Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength),
      );
    },

    async publishMany(list, payload) {
      open();
      if (!list.length) return;
      const bytes = Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
      const batch = pub.pipeline();
      for (const channel of list) batch.publish(prefix + channel, bytes);
      const results = await batch.exec();
      const failed = results?.find(([err]) => err);
      if (failed) throw failed[0];
    },

    async subscribe(channel, handler): Promise<BusSubscription> {
      open();
      const full = prefix + channel;
      let state = channels.get(full);
      if (!state)
        channels.set(full, (state = { entries: new Set(), subscribed: false, queue: Promise.resolve() }));
      const entry: Entry = { handler, active: true };
      state.entries.add(entry);
      const own = state;
      try {
        await enqueue(full, own);
      } catch (err) {
        entry.active = false;
        own.entries.delete(entry);
        void enqueue(full, own).catch(() => undefined);
        throw err;
      }
      return {
        async unsubscribe() {
          if (!entry.active) return;
          entry.active = false;
          own.entries.delete(entry);
          try {
            await enqueue(full, own);
          } catch (err) {
            // Delivery to this handler already stopped; Redis keeps the channel until the
            // next subscribe/unsubscribe on it reconciles again.
            logger.warn({ err, channel }, 'bus unsubscribe failed');
          }
        },
      };
    },

    onResume(listener) {
      resumed.add(listener);
    },

    connected: () => !closed && pub.status === 'ready' && sub.status === 'ready',

    async close() {
      if (closed) return;
      closed = true;
      for (const state of channels.values()) for (const e of state.entries) e.active = false;
      channels.clear();
      await Promise.all([closeRedis(sub), closeRedis(pub)]);
    },
  };
}
