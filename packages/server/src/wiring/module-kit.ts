/**
 * The kit the module map is written with: what each module gives to the modules that need it,
 * the context every module gets, and `define`, which hands a module its typed peer clients and
 * registers the RPC services it returns.
 */
import type { Registry } from 'prom-client';
import type { BlobStore } from '../adapters/blob/blob.js';
import type { Bus } from '../adapters/bus/bus.js';
import type { Kv } from '../adapters/kv/kv.js';
import type { Mailer } from '../adapters/mail/mail.js';
import type { SmsSender } from '../adapters/sms/sms.js';
import type { SqlDatabase } from '../adapters/sql/sql.js';
import type { Config } from '../config.schema.js';
import type { HttpServer } from '../http/http-server.js';
import type { Clock } from '../kernel/clock.js';
import { inDataDir } from '../kernel/config.js';
import type { IdGenerator } from '../kernel/ids.js';
import type { Logger } from '../kernel/logger.js';
import type { ModuleDefinition } from '../kernel/module-graph.js';
import type { RpcHub } from '../rpc/rpc-hub.js';
import type { ServiceInstance } from '../rpc/rpc-impl.js';
import type { RpcServer } from '../rpc/rpc-server.js';
import type { AccessTokens } from '../adapters/tokens/access-tokens.js';
import type { AuthService } from '../services/auth/auth.service.js';
import type { CallsService } from '../services/calls/calls.service.js';
import type { MediaWorker } from '../services/media/media.worker.js';
import type { MomentsFanout } from '../services/moments/moments.fanout.js';
import type { PushSenderValue } from '../services/push/push.module.js';
import type { WorkerUplink } from '../workers/worker-link.js';
import { peerClients, type Peers, type ServiceName } from './peers.js';

/** What each module gives to the modules that depend on it. */
export interface ModuleValues {
  metrics: Registry;
  'http-server': HttpServer;
  rpc: RpcHub;
  'rpc-server': RpcServer;
  tokens: AccessTokens;
  sql: SqlDatabase;
  kv: Kv;
  bus: Bus;
  blob: BlobStore;
  mail: Mailer;
  sms: SmsSender;
  auth: AuthService;
  contacts: void;
  message: void;
  media: void;
  moments: void;
  rooms: void;
  square: void;
  /** The background jobs of this process: media's queue and the moments fan-out. */
  worker: { media: MediaWorker; moments: MomentsFanout };
  push: void;
  'push-sender': PushSenderValue;
  search: void;
  calls: CallsService;
  gateway: void;
  admin: void;
  keys: void;
}
export type ModuleName = keyof ModuleValues;

/**
 * What this process is in `mychat serve --workers=N`: the only one (the default), the primary
 * (every module but the gateway; its workers take the public port), or a socket worker (the
 * gateway, reaching services, kv and bus through its primary's link).
 */
export type ProcessRole = { kind: 'single' } | { kind: 'primary' } | { kind: 'worker'; uplink: WorkerUplink };

/** Process-wide context handed to every module besides its declared dependencies. */
export interface AppContext {
  role: ProcessRole;
  name: string;
  config: Config;
  logger: Logger;
  ids: IdGenerator;
  clock: Clock;
  /** Every module this process runs, in start order. */
  modules: readonly string[];
  /** Modules not running yet (for /readyz). */
  notRunning(): string[];
  /** Modules whose health check fails (for /readyz). */
  unhealthy(): Promise<string[]>;
}

interface Spec<D extends ModuleName, N extends ModuleName, P extends ServiceName> {
  deps: readonly D[];
  /** The services this module calls: it gets a typed client for each, never the hub. */
  peers?: readonly P[];
  description: string;
  service?: boolean;
  init(
    deps: Pick<ModuleValues, D>,
    ctx: AppContext,
    peers: Peers<P>,
  ): Promise<ServiceInstance<ModuleValues[N]>>;
}

/**
 * A module of the map. A module with peers, or one that implements RPC services, must depend
 * on `rpc`: the wiring here builds its peer clients from the hub and registers what it serves.
 */
export const define = <N extends ModuleName, const D extends ModuleName, const P extends ServiceName = never>(
  name: N,
  spec: Spec<D, N, P>,
) => {
  const peers = spec.peers ?? [];
  const hubless = () => new Error(`module ${name} has peers or serves RPC but does not depend on rpc`);
  const init = async (deps: Record<string, unknown>, ctx: AppContext) => {
    const hub = deps.rpc as RpcHub | undefined;
    if (peers.length && !hub) throw hubless();
    const { rpc, ...instance } = await spec.init(
      deps as Pick<ModuleValues, D>,
      ctx,
      hub ? peerClients(hub, peers) : ({} as Peers<P>),
    );
    if (rpc?.length && !hub) throw hubless();
    for (const r of rpc ?? []) hub!.register(r.service, r.impl);
    return instance;
  };
  return { ...spec, init } as unknown as ModuleDefinition<Config>;
};

export const dataPath = (c: Config, p: string) => inDataDir(c.dataDir, p);
