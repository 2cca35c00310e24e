import type { Registry } from 'prom-client';
import { Counter, Histogram } from 'prom-client';
import type { BlobStore } from '../adapters/blob/blob.js';
import type { Bus } from '../adapters/bus/bus.js';
import type { Kv } from '../adapters/kv/kv.js';
import type { HttpServer } from '../http/http-server.js';
import type { Clock } from '../kernel/clock.js';
import type { Logger } from '../kernel/logger.js';
import type { ModuleInstance } from '../kernel/module-graph.js';
import type { AccessTokens } from '../adapters/tokens/access-tokens.js';
import { SessionRevocations } from '../contracts/sessions.js';
import { connectEdge } from './connect-edge.js';
import { ReadBudget } from './read-budget.js';
import { PUBLIC_SERVICES } from './public-api.js';
import type { Peers } from '../wiring/peers.js';
import type { webConfigSchema } from './static/static.config.js';
import type { MediaRoutesOptions } from './media/media-routes.js';
import type { wsConfigSchema } from './ws/ws.config.js';
import type { SocketMessages } from './ws/ws-requests.js';
import type { SharedSocketLimits } from './ws/ws-shared-limits.js';

export interface GatewayDeps {
  http: HttpServer;
  /** The services the gateway forwards to (its peers in the module map). */
  peers: Peers<
    | 'auth'
    | 'contacts'
    | 'message'
    | 'media'
    | 'moments'
    | 'push'
    | 'search'
    | 'rooms'
    | 'calls'
    | 'square'
    | 'admin'
    | 'keys'
  >;
  /** The message client for socket requests (the wiring batches sends when message is remote). */
  socketMessages: SocketMessages['public'];
  kv: Kv;
  bus: Bus;
  tokens: AccessTokens;
  metrics: Registry;
  logger: Logger;
  clock: Clock;
  ws: ReturnType<(typeof wsConfigSchema)['parse']>;
  web: ReturnType<(typeof webConfigSchema)['parse']>;
  config: { maxBodyBytes: number; timeoutMs: number; accessTokenTtlSeconds: number; adminEnabled: boolean };
  /** The HTTP media routes (uploads, tus, signed downloads). */
  media: { blob: BlobStore; dataDir: string; config: MediaRoutesOptions['config'] };
  /** In a socket worker: the socket limits its primary keeps for all workers, and its number. */
  worker?: { id: number; limits: SharedSocketLimits } | undefined;
}

/**
 * The public RPCs that are the WebSocket's sync and history frames, and the searches (each a
 * scan of an index): one budget pays for all.
 */
const READ_METHODS: ReadonlySet<string> = new Set([
  'mychat.message.v1.MessageService/Sync',
  'mychat.message.v1.MessageService/GetHistory',
  'mychat.search.v1.SearchService/SearchMessages',
  'mychat.search.v1.SearchService/SearchContacts',
  'mychat.search.v1.SearchService/SearchFiles',
]);

/** The public edge: Connect services and the WebSocket on the HTTP server. */
export async function initGateway(d: GatewayDeps): Promise<ModuleInstance<void>> {
  const requests = new Counter({
    name: 'mychat_gateway_rpc_requests_total',
    help: 'Public RPCs handled by the gateway, by method and status code',
    labelNames: ['method', 'code'] as const,
    registers: [d.metrics],
  });
  const latency = new Histogram({
    name: 'mychat_gateway_rpc_duration_seconds',
    help: 'Latency of public RPCs as seen by the gateway',
    labelNames: ['method'] as const,
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [d.metrics],
  });
  // One budget for a user's reads over HTTP and every socket of this gateway.
  const reads = new ReadBudget({
    ratePerSecond: d.ws.readRatePerSecond,
    burst: d.ws.readBurst,
    now: () => performance.now(),
  });
  const revocations = new SessionRevocations(d.kv, (d.config.accessTokenTtlSeconds + 60) * 1000);
  const handler = connectEdge({
    // admin.enabled=false: the console's service has no route at all (404, as any unknown path).
    services: PUBLIC_SERVICES.filter((p) => !p.console || d.config.adminEnabled).map((p) => ({
      ...p,
      client: p.api ? (d.peers[p.peer] as unknown as Record<string, object>)[p.api]! : d.peers[p.peer].public,
    })),
    tokens: d.tokens,
    revocations,
    logger: d.logger,
    proxies: d.http.proxies,
    maxBodyBytes: d.config.maxBodyBytes,
    timeoutMs: d.config.timeoutMs,
    requests,
    latency,
    reads: { methods: READ_METHODS, budget: reads },
  });
  d.http.mount('/mychat.', handler);
  const { mountMediaRoutes } = await import('./media/media-routes.js');
  const mediaRoutes = mountMediaRoutes({
    http: d.http,
    media: d.peers.media.internal,
    blob: d.media.blob,
    kv: d.kv,
    tokens: d.tokens,
    revocations,
    logger: d.logger,
    dataDir: d.media.dataDir,
    proxies: d.http.proxies,
    timeoutMs: d.config.timeoutMs,
    config: d.media.config,
  });
  if (d.web.enabled) {
    // The web app takes every other path (mounts are longest-prefix-first, so the API,
    // /ws, /healthz, /readyz and /metrics still win).
    const { createStaticHandler } = await import('./static/static-handler.js');
    d.http.mount(
      '/',
      createStaticHandler({ root: d.web.dir, logger: d.logger, mediaOrigins: d.web.mediaOrigins }),
    );
  }
  const { createWsGateway } = await import('./ws/ws-gateway.js');
  const ws = createWsGateway({
    http: d.http,
    messages: { public: d.socketMessages, internal: d.peers.message.internal },
    calls: d.peers.calls.public,
    contacts: d.peers.contacts.internal,
    tokens: d.tokens,
    revocations,
    bus: d.bus,
    kv: d.kv,
    logger: d.logger,
    metrics: d.metrics,
    clock: d.clock,
    config: d.ws,
    proxies: d.http.proxies,
    reads,
    shared: d.worker?.limits,
    workerId: d.worker?.id,
  });
  return {
    value: undefined,
    start: () => ws.start(),
    // Clients are told to reconnect elsewhere before the HTTP server (a dependency) closes.
    stop: async () => {
      mediaRoutes.stop();
      await ws.stop();
    },
  };
}
