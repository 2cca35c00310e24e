// Placeholder replaced by the WebSocket gateway implementation.
import type { Bus } from '../../adapters/bus/bus.js';
import type { Kv } from '../../adapters/kv/kv.js';
import type { HttpServer } from '../../http/http-server.js';
import type { Clock } from '../../kernel/clock.js';
import type { Logger } from '../../kernel/logger.js';
import type { RpcHub } from '../../rpc/rpc-hub.js';
import type { AccessTokens } from '../../shared/access-tokens.js';
import type { SessionRevocations } from '../../shared/session-revocations.js';
import type { Registry } from 'prom-client';
import type { wsConfigSchema } from './ws.config.js';

export interface WsGatewayDeps {
  http: HttpServer;
  hub: RpcHub;
  tokens: AccessTokens;
  revocations: SessionRevocations;
  bus: Bus;
  kv: Kv;
  logger: Logger;
  metrics: Registry;
  clock: Clock;
  config: ReturnType<(typeof wsConfigSchema)['parse']>;
  trustProxy: boolean;
}

export interface WsGateway {
  /** Starts accepting upgrades on /ws. */
  start(): Promise<void>;
  /** Tells every client to reconnect, waits up to drainTimeoutMs, then closes the rest. */
  stop(): Promise<void>;
}

export function createWsGateway(_d: WsGatewayDeps): WsGateway {
  return { start: async () => {}, stop: async () => {} };
}
