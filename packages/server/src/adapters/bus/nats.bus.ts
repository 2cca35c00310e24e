import type { Logger } from 'pino';
import type { Bus, BusHandler, BusSubscription } from './bus.js';
import { deliverSafely } from './deliver.js';

/**
 * A channel name as a NATS subject: `.` separates subject tokens and `*`, `>` are wildcards,
 * so those (and whitespace, and `%` itself) are percent-escaped; `u:123` stays as it is.
 */
export function natsSubject(prefix: string, channel: string): string {
  return (prefix + channel).replace(
    /[.*>%\s]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`,
  );
}

/**
 * The bus on NATS core pub/sub (no JetStream: hints are at-most-once by contract). One
 * connection per process both publishes and receives, so a process's publishes reach its
 * own subscribers in order. A subscription is active once the server has confirmed it
 * (a flush round trip). After a lost connection the client reconnects forever and
 * resubscribes; what was published meanwhile is lost, which the bus contract allows.
 */
export async function openNatsBus(opts: {
  url: string;
  prefix: string;
  clientName: string;
  logger: Logger;
}): Promise<Bus> {
  const { connect } = await import('nats');
  const { logger } = opts;
  let nc: Awaited<ReturnType<typeof connect>>;
  try {
    nc = await connect({
      servers: opts.url,
      name: opts.clientName,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 250,
      pingInterval: 10_000,
    });
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new Error(`cannot connect to nats at ${redactNatsUrl(opts.url)}: ${reason}`, { cause: err });
  }
  const resumed = new Set<() => void>();
  let down = false;
  void (async () => {
    for await (const s of nc.status()) {
      if (s.type === 'disconnect') down = true;
      if (s.type === 'reconnect') down = false;
      if (s.type === 'disconnect') logger.warn({ server: s.data }, 'nats connection lost');
      else if (s.type === 'error') logger.warn({ err: { message: String(s.data) } }, 'nats error');
      else if (s.type === 'reconnect') {
        // The client has resent every SUB; a flush answers once the server has them.
        await nc.flush().catch(() => undefined);
        logger.warn({ server: s.data }, 'nats connection restored; hints published meanwhile are lost');
        for (const l of resumed) {
          try {
            l();
          } catch (err) {
            logger.error({ err }, 'bus resume listener failed');
          }
        }
      }
    }
  })().catch(() => undefined);

  let closed = false;
  const open = () => {
    if (closed || nc.isClosed()) throw new Error('bus is closed');
  };
  const live = new Set<{ active: boolean }>();

  return {
    async publish(channel, payload) {
      open();
      // The client copies the bytes into its outbound buffer before returning.
      nc.publish(natsSubject(opts.prefix, channel), payload);
    },

    async publishMany(list, payload) {
      open();
      for (const channel of list) nc.publish(natsSubject(opts.prefix, channel), payload);
    },

    async subscribe(channel, handler: BusHandler): Promise<BusSubscription> {
      open();
      const entry = { active: true };
      live.add(entry);
      const sub = nc.subscribe(natsSubject(opts.prefix, channel), {
        callback: (err, msg) => {
          if (err) return void logger.warn({ err, channel }, 'nats subscription error');
          if (entry.active) deliverSafely(handler, msg.data, channel, logger);
        },
      });
      try {
        await nc.flush(); // the server has the SUB: a later publish is seen
      } catch (err) {
        entry.active = false;
        live.delete(entry);
        sub.unsubscribe();
        throw err;
      }
      return {
        async unsubscribe() {
          if (!entry.active) return;
          entry.active = false;
          live.delete(entry);
          if (!nc.isClosed()) sub.unsubscribe();
        },
      };
    },

    onResume(listener) {
      resumed.add(listener);
    },

    connected: () => !closed && !down && !nc.isClosed(),

    async close() {
      if (closed) return;
      closed = true;
      for (const e of live) e.active = false;
      live.clear();
      await nc.close();
    },
  };
}

function redactNatsUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'nats://(unparseable url)';
  }
}
