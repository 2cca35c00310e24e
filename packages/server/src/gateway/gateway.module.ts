import type { Registry } from 'prom-client';
import { Counter, Histogram } from 'prom-client';
import type { Kv } from '../adapters/kv/kv.js';
import type { HttpServer } from '../http/http-server.js';
import type { Logger } from '../kernel/logger.js';
import type { ModuleInstance } from '../kernel/module-graph.js';
import type { RpcHub } from '../rpc/rpc-hub.js';
import type { AccessTokens } from '../shared/access-tokens.js';
import { SessionRevocations } from '../shared/session-revocations.js';
import { connectEdge } from './connect-edge.js';
import { PUBLIC_SERVICES } from './public-api.js';

export interface GatewayDeps {
  http: HttpServer;
  rpc: RpcHub;
  kv: Kv;
  tokens: AccessTokens;
  metrics: Registry;
  logger: Logger;
  config: { trustProxy: boolean; maxBodyBytes: number; timeoutMs: number; accessTokenTtlSeconds: number };
}

/** The public edge: mounts the Connect services on the HTTP server. */
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
  const handler = connectEdge({
    services: PUBLIC_SERVICES,
    hub: d.rpc,
    tokens: d.tokens,
    revocations: new SessionRevocations(d.kv, (d.config.accessTokenTtlSeconds + 60) * 1000),
    logger: d.logger,
    trustProxy: d.config.trustProxy,
    maxBodyBytes: d.config.maxBodyBytes,
    timeoutMs: d.config.timeoutMs,
    requests,
    latency,
  });
  d.http.mount('/mychat.', handler);
  return { value: undefined };
}
