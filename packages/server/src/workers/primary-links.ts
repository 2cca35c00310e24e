import { randomBytes, timingSafeEqual } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Logger } from 'pino';
import { AggregatorRegistry, type Registry } from 'prom-client';
import type { Bus, BusSubscription } from '../adapters/bus/bus.js';
import { KV_OPS, runKvOp, type KvArg } from '../adapters/kv/ipc.kv.js';
import type { Kv } from '../adapters/kv/kv.js';
import type { RpcHub } from '../rpc/rpc-hub.js';
import { Link, within, type Reply } from './link.js';
import { CallServer } from './rpc-link.js';
import { SocketRegistry, type CloseOrder, type SocketLimits } from './socket-registry.js';
import { Ask, Frame, type Reader } from './wire.js';
import type { LinkAddress } from './worker-link.js';

export interface PrimaryLinksOptions {
  hub: RpcHub;
  kv: Kv;
  bus: Bus;
  metrics: Registry;
  limits: SocketLimits;
  /** The primary's modules that are not running or fail their health check. */
  health(): Promise<string[]>;
  logger: Logger;
  /** How long a worker may take to hand over its metrics, ms (default 5 s). */
  askTimeoutMs?: number;
}

/** The primary's end of every worker's link. */
export interface PrimaryLinks {
  readonly address: LinkAddress;
  /** Ids of the workers whose link is up. */
  connected(): number[];
  /** Resolves once a worker with `id` has connected (or at once when it has). */
  whenConnected(id: number): Promise<void>;
  readonly registry: SocketRegistry;
  close(): Promise<void>;
}

/** How long a worker may take to hand over its metrics; one that does not is left out. */
const ASK_TIMEOUT_MS = 5_000;

/** How long a connection may take to say who it is. */
const HELLO_TIMEOUT_MS = 5_000;

/**
 * Listens for the primary's socket workers on a Unix domain socket in a directory only this
 * user may enter, and serves each worker over its link: RPC calls on the primary's hub, kv
 * operations on its store, bus subscriptions and publishes on its bus, the shared socket
 * limits, health and metrics. A connection that does not open with the secret is cut.
 */
export async function openPrimaryLinks(o: PrimaryLinksOptions): Promise<PrimaryLinks> {
  const secret = randomBytes(32).toString('hex');
  const expected = Buffer.from(secret);
  const dir = process.platform === 'win32' ? '' : fs.mkdtempSync(path.join(os.tmpdir(), 'mychat-'));
  const socketPath =
    process.platform === 'win32'
      ? `\\\\?\\pipe\\mychat-${process.pid}-${randomBytes(6).toString('hex')}`
      : path.join(dir, 'link.sock');
  const registry = new SocketRegistry(o.limits);
  const calls = new CallServer(o.hub);
  const peers = new Map<number, WorkerPeer>();
  const waiting = new Map<number, (() => void)[]>();
  const log = o.logger.child({ component: 'workers' });

  const sendOrders = (orders: readonly CloseOrder[]) => {
    const byWorker = new Map<number, CloseOrder[]>();
    for (const order of orders) {
      const list = byWorker.get(order.worker) ?? [];
      list.push(order);
      byWorker.set(order.worker, list);
    }
    for (const [worker, list] of byWorker) peers.get(worker)?.closeSockets(list);
  };

  const aggregate = async (): Promise<string> => {
    const own = await o.metrics.getMetricsAsJSON();
    const theirs = await Promise.all(
      [...peers.values()].map((p) =>
        within(
          p.link.request(Ask.metricsJson),
          o.askTimeoutMs ?? ASK_TIMEOUT_MS,
          `worker ${p.id}'s metrics`,
        ).then(
          (r) => JSON.parse(r.str()) as typeof own,
          () => [] as typeof own,
        ),
      ),
    );
    return AggregatorRegistry.aggregate([own, ...theirs]).metrics();
  };

  const server = net.createServer((socket) => {
    let peer: WorkerPeer | undefined;
    const timer = setTimeout(() => socket.destroy(), HELLO_TIMEOUT_MS);
    const link: Link = new Link(socket, {
      onFrame(type, r) {
        if (peer) return peer.onFrame(type, r);
        if (type !== Frame.hello) return void link.close();
        const given = Buffer.from(r.str());
        const id = r.u32();
        if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
          log.warn('a connection to the worker link did not know its secret; cut');
          return void link.close();
        }
        clearTimeout(timer);
        peers.get(id)?.link.close();
        peer = new WorkerPeer(id, link, o, registry, sendOrders);
        peers.set(id, peer);
        for (const resolve of waiting.get(id) ?? []) resolve();
        waiting.delete(id);
      },
      onRequest(kind, r, reply) {
        if (!peer) return void link.close();
        if (kind === Ask.call) return calls.serve(r, reply);
        if (kind === Ask.health) {
          return void o.health().then(
            (list) => reply.ok((w) => w.strings(list)),
            (err: unknown) => reply.fail(err),
          );
        }
        if (kind === Ask.metrics) {
          return void aggregate().then(
            (text) => reply.ok((w) => w.str(text)),
            (err: unknown) => reply.fail(err),
          );
        }
        peer.onRequest(kind, r, reply);
      },
      onClose() {
        clearTimeout(timer);
        if (!peer) return;
        peer.drop();
        if (peers.get(peer.id) === peer) peers.delete(peer.id);
      },
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socketPath, () => resolve());
  });
  if (dir) fs.chmodSync(socketPath, 0o600);

  return {
    address: { path: socketPath, secret },
    connected: () => [...peers.keys()],
    whenConnected: (id) =>
      peers.has(id)
        ? Promise.resolve()
        : new Promise<void>((resolve) => waiting.set(id, [...(waiting.get(id) ?? []), resolve])),
    registry,
    async close() {
      for (const p of peers.values()) p.link.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      if (dir) fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** One worker as the primary serves it. */
class WorkerPeer {
  private readonly subscriptions = new Map<string, Promise<BusSubscription | undefined>>();
  /** Channels of this worker that one payload is for, gathered until anything else is written. */
  private group: { payload: Uint8Array; channels: string[] } | undefined;
  private readonly forward = (payload: Uint8Array, channel: string) => this.deliver(payload, channel);

  constructor(
    readonly id: number,
    readonly link: Link,
    private readonly o: PrimaryLinksOptions,
    private readonly registry: SocketRegistry,
    private readonly sendOrders: (orders: readonly CloseOrder[]) => void,
  ) {
    link.beforeWrite = () => this.closeGroup();
  }

  onFrame(type: number, r: Reader): void {
    switch (type) {
      case Frame.publish: {
        const channels = r.strings();
        const payload = r.bytes();
        const done =
          channels.length === 1
            ? this.o.bus.publish(channels[0]!, payload)
            : this.o.bus.publishMany(channels, payload);
        done.catch((err: unknown) => this.o.logger.warn({ err }, 'a worker publish failed'));
        return;
      }
      case Frame.unsubscribe: {
        const channel = r.str();
        const sub = this.subscriptions.get(channel);
        this.subscriptions.delete(channel);
        void sub?.then((s) => s?.unsubscribe());
        return;
      }
      case Frame.socketOpened: {
        const connId = r.u32();
        const userId = r.str();
        const orders = this.registry.opened(this.id, connId, userId, r.str());
        if (orders.length) this.sendOrders(orders);
        return;
      }
      case Frame.socketClosed:
        return this.registry.closed(this.id, r.u32());
      case Frame.pendingLeft:
        return this.registry.left(this.id, r.str());
      default:
        throw new Error(`unknown frame type ${type} from worker ${this.id}`);
    }
  }

  onRequest(kind: number, r: Reader, reply: Reply): void {
    switch (kind) {
      case Ask.kv: {
        const op = KV_OPS[r.u8()];
        if (!op) throw new Error('unknown kv operation');
        const args: KvArg[] = [];
        for (let n = r.u32(); n > 0; n--) args.push(r.value() ?? undefined);
        runKvOp(this.o.kv, op, args).then(
          (v) => reply.ok((w) => w.value(v)),
          (err: unknown) => reply.fail(err),
        );
        return;
      }
      case Ask.subscribe: {
        const channel = r.str();
        if (this.subscriptions.has(channel)) return reply.ok();
        const sub = this.o.bus.subscribe(channel, this.forward);
        this.subscriptions.set(
          channel,
          sub.catch(() => undefined),
        );
        sub.then(
          () => reply.ok(),
          (err: unknown) => {
            if (this.subscriptions.get(channel)) this.subscriptions.delete(channel);
            reply.fail(err);
          },
        );
        return;
      }
      case Ask.admitPending: {
        const refusal = this.registry.admit(this.id, r.str());
        reply.ok((w) => w.u8(refusal === 'source' ? 1 : refusal === 'busy' ? 2 : 0));
        return;
      }
      default:
        throw new Error(`unknown request kind ${kind} from worker ${this.id}`);
    }
  }

  closeSockets(orders: readonly CloseOrder[]): void {
    this.link.post(Frame.closeSockets, (w) => {
      w.u32(orders.length);
      for (const x of orders) w.str(x.userId).u32(x.connId).u32(x.code).str(x.reason);
    });
  }

  /** The link is gone: the worker's subscriptions and socket counts go with it. */
  drop(): void {
    this.group = undefined;
    for (const sub of this.subscriptions.values()) void sub.then((s) => s?.unsubscribe());
    this.subscriptions.clear();
    this.registry.dropWorker(this.id);
  }

  /**
   * A payload for one of this worker's channels. The bus hands a publish to many channels
   * (a group's members) to its subscribers one channel after another with the same bytes,
   * so consecutive deliveries of one payload become one frame naming every channel.
   */
  private deliver(payload: Uint8Array, channel: string): void {
    if (this.group?.payload === payload) return void this.group.channels.push(channel);
    this.closeGroup();
    this.group = { payload, channels: [channel] };
    this.link.touch();
  }

  private closeGroup(): void {
    const g = this.group;
    if (!g) return;
    this.group = undefined;
    this.link.post(Frame.deliver, (w) => w.strings(g.channels).bytes(g.payload));
  }
}
