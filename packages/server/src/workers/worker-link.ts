import net from 'node:net';
import type { Transport } from '@connectrpc/connect';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { createIpcBus, type IpcBus } from '../adapters/bus/ipc.bus.js';
import { createIpcKv, KV_OPS, type KvOp } from '../adapters/kv/ipc.kv.js';
import type { Kv } from '../adapters/kv/kv.js';
import type { SharedSocketLimits, SocketCloseOrder } from '../gateway/ws/ws-shared-limits.js';
import { Link, within } from './link.js';
import { linkTransport } from './rpc-link.js';
import { Ask, Frame, type Reader } from './wire.js';

/** Where a socket worker finds its primary: the link's socket path and the secret it must show. */
export interface LinkAddress {
  path: string;
  secret: string;
}

/**
 * Everything a socket worker reaches through its primary, as the ports the gateway already
 * uses: an RPC transport to the services, the bus, the kv store and the shared socket limits.
 */
export interface WorkerUplink {
  readonly id: number;
  readonly transport: Transport;
  readonly bus: IpcBus;
  readonly kv: Kv;
  readonly sockets: SharedSocketLimits;
  /** The primary's modules that are not running or fail their health check; `primary` when it is gone. */
  health(): Promise<string[]>;
  /** The metrics of the primary and of every worker, aggregated (Prometheus text). */
  metrics(): Promise<string>;
  /** The registry this worker's metrics are read from when the primary aggregates. */
  serveMetrics(registry: Registry): void;
  /** Called once when the link drops (the primary is gone). */
  onClose(listener: (err?: Error) => void): void;
  close(): void;
}

const ADMIT = [undefined, 'source', 'busy'] as const;
/** How long /readyz waits for the primary's health before calling it unhealthy. */
const ASK_TIMEOUT_MS = 5_000;
const OP_NUMBER = new Map<KvOp, number>(KV_OPS.map((op, i) => [op, i]));

/** Connects a socket worker to its primary and says who it is. */
export async function connectUplink(o: {
  address: LinkAddress;
  id: number;
  logger: Logger;
  /** How long /readyz waits for the primary's health (and /metrics twice that), ms. */
  askTimeoutMs?: number;
}): Promise<WorkerUplink> {
  const askMs = o.askTimeoutMs ?? ASK_TIMEOUT_MS;
  const socket = net.connect(o.address.path);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  let registry: Registry | undefined;
  let closeHandler: ((orders: readonly SocketCloseOrder[]) => void) | undefined;
  const closeListeners: ((err?: Error) => void)[] = [];
  const link: Link = new Link(socket, {
    onFrame(type, r) {
      if (type === Frame.deliver) {
        const channels = r.strings();
        bus.deliver(channels, r.bytes());
      } else if (type === Frame.closeSockets) {
        closeHandler?.(readCloseOrders(r));
      }
    },
    onRequest(kind, _r, reply) {
      if (kind !== Ask.metricsJson) throw new Error(`a worker answers no request of kind ${kind}`);
      if (!registry) return reply.ok((w) => w.str('[]'));
      registry.getMetricsAsJSON().then(
        (json) => reply.ok((w) => w.str(JSON.stringify(json))),
        (err: unknown) => reply.fail(err),
      );
    },
    onClose(err) {
      for (const l of closeListeners) l(err);
    },
  });
  link.post(Frame.hello, (w) => w.str(o.address.secret).u32(o.id));

  const bus = createIpcBus({
    logger: o.logger.child({ bus: 'ipc' }),
    uplink: {
      subscribe: async (channel) => void (await link.request(Ask.subscribe, (w) => w.str(channel))),
      unsubscribe: (channel) => link.post(Frame.unsubscribe, (w) => w.str(channel)),
      publish: (channels, payload) => link.post(Frame.publish, (w) => w.strings(channels).bytes(payload)),
      connected: () => link.isOpen,
    },
  });
  const kv = createIpcKv({
    call: async (op, args) => {
      const r = await link.request(Ask.kv, (w) => {
        w.u8(OP_NUMBER.get(op)!).u32(args.length);
        for (const a of args) w.value(a);
      });
      return r.value();
    },
  });
  const sockets: SharedSocketLimits = {
    admitPending: async (ip) => {
      const answer = (await link.request(Ask.admitPending, (w) => w.str(ip))).u8();
      return answer < ADMIT.length ? ADMIT[answer] : 'busy';
    },
    pendingLeft: (ip) => link.post(Frame.pendingLeft, (w) => w.str(ip)),
    opened: (connId, userId, sessionId) =>
      link.post(Frame.socketOpened, (w) => w.u32(connId).str(userId).str(sessionId)),
    closed: (connId) => link.post(Frame.socketClosed, (w) => w.u32(connId)),
    onClose: (handler) => void (closeHandler = handler),
  };
  return {
    id: o.id,
    transport: linkTransport(link),
    bus,
    kv,
    sockets,
    async health() {
      if (!link.isOpen) return ['primary'];
      try {
        return (await within(link.request(Ask.health), askMs, "the primary's health")).strings();
      } catch {
        return ['primary'];
      }
    },
    metrics: async () => (await within(link.request(Ask.metrics), 2 * askMs, 'the metrics')).str(),
    serveMetrics: (r) => void (registry = r),
    onClose: (listener) => void closeListeners.push(listener),
    close: () => link.close(),
  };
}

/** Close orders as the primary writes them (see PrimaryLinks). */
export function readCloseOrders(r: Reader): SocketCloseOrder[] {
  const orders: SocketCloseOrder[] = [];
  for (let n = r.u32(); n > 0; n--)
    orders.push({ userId: r.str(), connId: r.u32(), code: r.u32(), reason: r.str() });
  return orders;
}
