/**
 * A primary's link server and its workers' uplinks in one test process, over a real Unix
 * socket: what the adapters' conformance suites and the link tests run against.
 */
import pino, { type Logger } from 'pino';
import { Registry } from 'prom-client';
import type { Bus } from '../adapters/bus/bus.js';
import { createMemoryBus } from '../adapters/bus/memory.bus.js';
import type { Kv } from '../adapters/kv/kv.js';
import { createMemoryKv } from '../adapters/kv/memory.kv.js';
import { RpcHub } from '../rpc/rpc-hub.js';
import { openPrimaryLinks, type PrimaryLinks } from './primary-links.js';
import type { SocketLimits } from './socket-registry.js';
import { connectUplink, type WorkerUplink } from './worker-link.js';

export const silent = pino({ level: 'silent' });

export interface InProcessPrimary {
  hub: RpcHub;
  kv: Kv;
  bus: Bus;
  metrics: Registry;
  links: PrimaryLinks;
  /** A new worker's uplink (ids 1, 2, ...), logging to `logger`. */
  uplink(logger?: Logger): Promise<WorkerUplink>;
  close(): Promise<void>;
}

export const LOOSE_LIMITS: SocketLimits = {
  maxPendingSockets: 1000,
  maxPendingSocketsPerIp: 1000,
  maxSocketsPerSession: 1000,
  maxSocketsPerUser: 1000,
};

export async function inProcessPrimary(
  o: {
    kv?: Kv;
    bus?: Bus;
    limits?: SocketLimits;
    health?: () => Promise<string[]>;
    askTimeoutMs?: number;
  } = {},
): Promise<InProcessPrimary> {
  const kv = o.kv ?? createMemoryKv();
  const bus = o.bus ?? createMemoryBus({ logger: silent });
  const metrics = new Registry();
  const hub = new RpcHub({ internalToken: 'test-token', peers: {}, defaultTimeoutMs: 5_000, logger: silent });
  const links = await openPrimaryLinks({
    hub,
    kv,
    bus,
    metrics,
    limits: o.limits ?? LOOSE_LIMITS,
    health: o.health ?? (async () => []),
    logger: silent,
    ...(o.askTimeoutMs && { askTimeoutMs: o.askTimeoutMs }),
  });
  const uplinks: WorkerUplink[] = [];
  let next = 1;
  return {
    hub,
    kv,
    bus,
    metrics,
    links,
    async uplink(logger = silent) {
      const id = next++;
      const u = await connectUplink({
        address: links.address,
        id,
        logger,
        ...(o.askTimeoutMs && { askTimeoutMs: o.askTimeoutMs }),
      });
      uplinks.push(u);
      await links.whenConnected(id);
      return u;
    },
    async close() {
      for (const u of uplinks) u.close();
      await links.close();
    },
  };
}
