/**
 * THE map of MyChat's modules: what each needs, and the meta-targets that list them.
 * Read this first. `mychat serve --target=X` runs X and everything it depends on, in
 * dependency order; stops run in reverse. Modules are imported lazily, so a process
 * loads only what it runs. Topology is config: no module knows where its peers run.
 */
import path from 'node:path';
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';
import type { BlobStore } from './adapters/blob/blob.js';
import type { Bus } from './adapters/bus/bus.js';
import type { Kv } from './adapters/kv/kv.js';
import type { Mailer } from './adapters/mail/mail.js';
import type { SmsSender } from './adapters/sms/sms.js';
import type { SqlDatabase } from './adapters/sql/sql.js';
import type { Config } from './config.schema.js';
import type { HttpServer } from './http/http-server.js';
import type { Clock } from './kernel/clock.js';
import { inDataDir } from './kernel/config.js';
import type { IdGenerator } from './kernel/ids.js';
import type { Logger } from './kernel/logger.js';
import type { ModuleDefinition } from './kernel/module-graph.js';
import type { RpcHub } from './rpc/rpc-hub.js';
import type { ServiceInstance } from './rpc/rpc-impl.js';
import type { RpcServer } from './rpc/rpc-server.js';
import type { AccessTokens } from './shared/access-tokens.js';
import type { AuthService } from './services/auth/auth.service.js';
import type { MediaWorker } from './services/media/media.worker.js';
import { peerClients, type Peers, type ServiceName } from './wiring/peers.js';

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
  worker: MediaWorker;
  gateway: void;
}
export type ModuleName = keyof ModuleValues;

/** Process-wide context handed to every module besides its declared dependencies. */
export interface AppContext {
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
  /** Peers that also call this module: a cycle shown here, not yet broken (see ModuleDefinition). */
  cyclicPeers?: readonly P[];
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
const define = <N extends ModuleName, const D extends ModuleName, const P extends ServiceName = never>(
  name: N,
  spec: Spec<D, N, P>,
) => {
  const peers = [...(spec.peers ?? []), ...(spec.cyclicPeers ?? [])];
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

const dataPath = (c: Config, p: string) => inDataDir(c.dataDir, p);

/**
 * The internal gRPC port when rpc.port is unset. A self-contained process (it runs the
 * gateway and calls no peer) is never called by another, so it takes a free loopback port
 * and two such instances on one machine do not collide; any other keeps the well-known 8081.
 */
export function rpcPort(ctx: Pick<AppContext, 'config' | 'modules'>): number {
  if (ctx.config.rpc.port !== undefined) return ctx.config.rpc.port;
  const selfContained = ctx.modules.includes('gateway') && Object.keys(ctx.config.rpc.peers).length === 0;
  return selfContained ? 0 : 8081;
}

export const MODULES: Record<ModuleName, ModuleDefinition<Config>> = {
  metrics: define('metrics', {
    deps: [],
    description: 'Prometheus registry with process metrics',
    async init() {
      const registry = new Registry();
      collectDefaultMetrics({ register: registry, prefix: 'mychat_' });
      return { value: registry };
    },
  }),

  'http-server': define('http-server', {
    deps: ['metrics'],
    description: 'HTTP listener: /healthz, /readyz, /metrics and the gateway routes',
    async init({ metrics }, ctx) {
      const { HttpServer } = await import('./http/http-server.js');
      const server = new HttpServer({
        host: ctx.config.http.host,
        port: ctx.config.http.port,
        logger: ctx.logger,
        metrics,
        notRunning: ctx.notRunning,
        unhealthy: ctx.unhealthy,
        trustedProxies: ctx.config.http.trustedProxies,
        maxConnections: ctx.config.http.maxConnections,
        headersTimeoutMs: ctx.config.http.headersTimeoutMs,
        metricsAllowedFrom: ctx.config.http.metricsAllowedFrom,
      });
      return { value: server, start: () => server.start(), stop: () => server.stop() };
    },
  }),

  rpc: define('rpc', {
    deps: ['metrics'],
    description: 'Service registry and clients: in-process calls, or gRPC to configured peers',
    async init({ metrics }, ctx) {
      const { RpcHub } = await import('./rpc/rpc-hub.js');
      const { readOrCreateSecret } = await import('./kernel/secret-files.js');
      const { randomBytes } = await import('node:crypto');
      const token =
        ctx.config.rpc.token ??
        readOrCreateSecret(dataPath(ctx.config, ctx.config.rpc.tokenFile), () =>
          randomBytes(32).toString('base64url'),
        ).trim();
      const rpcDuration = new Histogram({
        name: 'mychat_rpc_server_duration_seconds',
        help: 'Latency of RPCs handled by services in this process',
        labelNames: ['service', 'method', 'code'] as const,
        buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
        registers: [metrics],
      });
      const rpcShed = new Counter({
        name: 'mychat_rpc_client_shed_total',
        help: 'Internal calls refused with UNAVAILABLE because too many were in flight to the peer',
        labelNames: ['peer'] as const,
        registers: [metrics],
      });
      const hub = new RpcHub({
        internalToken: token,
        peers: ctx.config.rpc.peers,
        defaultTimeoutMs: ctx.config.rpc.timeoutMs,
        maxInFlightPerPeer: ctx.config.rpc.maxInFlightPerPeer,
        logger: ctx.logger,
        rpcDuration,
        rpcShed,
      });
      return { value: hub };
    },
  }),

  'rpc-server': define('rpc-server', {
    // http-server too: every process, a lone service included, answers /healthz, /readyz, /metrics.
    deps: ['rpc', 'http-server'],
    description: 'Internal gRPC listener exposing the services of this process to other processes',
    async init({ rpc }, ctx) {
      const { RpcServer } = await import('./rpc/rpc-server.js');
      const server = new RpcServer(rpc, {
        host: ctx.config.rpc.host,
        port: rpcPort(ctx),
        logger: ctx.logger,
      });
      return { value: server, start: () => server.start(), stop: () => server.stop() };
    },
  }),

  tokens: define('tokens', {
    deps: [],
    description: 'Access-token signing and verification (Ed25519 key file)',
    async init(_deps, ctx) {
      const { AccessTokens } = await import('./shared/access-tokens.js');
      return { value: AccessTokens.fromKeyFile(dataPath(ctx.config, ctx.config.jwt.keyFile)) };
    },
  }),

  sql: define('sql', {
    deps: [],
    description: 'SQL database: SQLite (default), MySQL/MariaDB or PostgreSQL',
    async init(_deps, ctx) {
      const { openSql } = await import('./adapters/sql/open-sql.js');
      const url = ctx.config.sql.url ?? `sqlite:${path.join(ctx.config.dataDir, 'mychat.db')}`;
      const db = await openSql({
        url,
        logger: ctx.logger,
        sqliteSynchronous: ctx.config.sql.sqliteSynchronous,
      });
      return {
        value: db,
        stop: () => db.close(),
        health: () =>
          db.ping().then(
            () => true,
            () => false,
          ),
      };
    },
  }),

  kv: define('kv', {
    deps: [],
    description: 'Key-value store with TTLs: in-memory (default) or Redis',
    async init(_deps, ctx) {
      const { openKv } = await import('./adapters/kv/open-kv.js');
      const kv = await openKv({
        redisUrl: ctx.config.redis.url,
        prefix: ctx.config.redis.prefix,
        logger: ctx.logger,
        commandTimeoutMs: ctx.config.redis.commandTimeoutMs,
      });
      return {
        value: kv,
        stop: () => kv.close(),
        health: () =>
          kv.ping().then(
            () => true,
            () => false,
          ),
      };
    },
  }),

  bus: define('bus', {
    deps: [],
    description: 'Best-effort pub/sub hints: in-process (default), Redis or NATS',
    async init(_deps, ctx) {
      const { openBus } = await import('./adapters/bus/open-bus.js');
      const bus = await openBus({
        busUrl: ctx.config.bus.url,
        redisUrl: ctx.config.redis.url,
        prefix: ctx.config.redis.prefix,
        logger: ctx.logger,
        commandTimeoutMs: ctx.config.redis.commandTimeoutMs,
      });
      return { value: bus, stop: () => bus.close(), health: async () => bus.connected() };
    },
  }),

  blob: define('blob', {
    deps: [],
    description: 'File storage: local disk (default, gateway-signed URLs) or S3-compatible',
    async init(_deps, ctx) {
      const { openBlob } = await import('./adapters/blob/open-blob.js');
      const { readOrCreateSecret } = await import('./kernel/secret-files.js');
      const { randomBytes } = await import('node:crypto');
      const c = ctx.config.blob;
      const secret =
        c.backend === 'disk'
          ? (c.signingSecret ??
            readOrCreateSecret(dataPath(ctx.config, c.signingSecretFile), () =>
              randomBytes(32).toString('base64url'),
            ).trim())
          : undefined;
      const blob = await openBlob({
        backend: c.backend,
        dir: dataPath(ctx.config, c.dir),
        ...(secret && { signingKey: Buffer.from(secret, 'utf8') }),
        s3: {
          bucket: c.s3Bucket ?? '',
          region: c.s3Region,
          ...(c.s3Endpoint && { endpoint: c.s3Endpoint }),
          ...(c.s3AccessKeyId && { accessKeyId: c.s3AccessKeyId }),
          ...(c.s3SecretAccessKey && { secretAccessKey: c.s3SecretAccessKey }),
          forcePathStyle: c.s3ForcePathStyle,
          prefix: c.s3Prefix,
        },
        now: () => ctx.clock.now(),
      });
      return { value: blob, stop: () => blob.close() };
    },
  }),

  mail: define('mail', {
    deps: [],
    description: 'Outgoing mail: the dev outbox (default) or SMTP',
    async init(_deps, ctx) {
      const { openMailer } = await import('./adapters/mail/open-mailer.js');
      const mailer = await openMailer({
        smtpUrl: ctx.config.smtp.url,
        from: ctx.config.mail.from,
        outboxDir: dataPath(ctx.config, 'outbox'),
        logger: ctx.logger,
      });
      return { value: mailer, stop: () => mailer.close() };
    },
  }),

  sms: define('sms', {
    deps: [],
    description: 'Outgoing text messages: the dev outbox (default) or an HTTP provider',
    async init(_deps, ctx) {
      const { openSms } = await import('./adapters/sms/open-sms.js');
      const sms = await openSms({
        httpUrl: ctx.config.sms.httpUrl,
        httpToken: ctx.config.sms.httpToken,
        outboxDir: dataPath(ctx.config, 'outbox'),
        logger: ctx.logger,
      });
      return { value: sms, stop: () => sms.close() };
    },
  }),

  auth: define('auth', {
    deps: ['sql', 'kv', 'bus', 'mail', 'sms', 'rpc', 'rpc-server', 'tokens'],
    service: true,
    description: 'Accounts, verification codes and device sessions (mychat.auth.v1)',
    async init(deps, ctx) {
      const { initAuth } = await import('./services/auth/auth.module.js');
      const fs = await import('node:fs');
      return initAuth({
        ...deps,
        mail: deps.mail,
        tokens: deps.tokens,
        ids: ctx.ids,
        clock: ctx.clock,
        logger: ctx.logger,
        config: ctx.config.auth,
        keyMaterial: fs.readFileSync(dataPath(ctx.config, ctx.config.jwt.keyFile), 'utf8'),
      });
    },
  }),

  contacts: define('contacts', {
    deps: ['sql', 'kv', 'bus', 'rpc', 'rpc-server'],
    peers: ['auth', 'message'],
    service: true,
    description: 'Friends, friend requests, blocking and groups (mychat.contacts.v1)',
    async init(deps, ctx, peers) {
      const { initContacts } = await import('./services/contacts/contacts.module.js');
      return initContacts({
        ...deps,
        peers,
        ids: ctx.ids,
        clock: ctx.clock,
        logger: ctx.logger,
        config: ctx.config.contacts,
        callTimeoutMs: ctx.config.rpc.timeoutMs,
      });
    },
  }),

  message: define('message', {
    deps: ['sql', 'kv', 'bus', 'rpc', 'rpc-server', 'metrics'],
    peers: ['media'],
    service: true,
    description: 'Conversations, messages, sync and receipts (mychat.message.v1)',
    async init(deps, ctx, peers) {
      const { initMessage } = await import('./services/message/message.module.js');
      return initMessage({
        ...deps,
        peers,
        ids: ctx.ids,
        clock: ctx.clock,
        logger: ctx.logger,
        config: ctx.config.message,
      });
    },
  }),

  media: define('media', {
    deps: ['sql', 'kv', 'blob', 'rpc', 'rpc-server', 'metrics'],
    // Media asks message whether a user may see the message that grants a file: the one
    // cycle left (message attaches files through media). Step 2 of issue 19 breaks it.
    cyclicPeers: ['message'],
    service: true,
    description: 'Files, images, voice, video and the cloud drive (mychat.media.v1)',
    async init(deps, ctx, peers) {
      const { initMedia } = await import('./services/media/media.module.js');
      return initMedia({
        ...deps,
        peers,
        ids: ctx.ids,
        clock: ctx.clock,
        logger: ctx.logger,
        config: ctx.config.media,
      });
    },
  }),

  worker: define('worker', {
    // http-server so that a lone worker answers /healthz, /readyz and /metrics.
    deps: ['sql', 'kv', 'blob', 'metrics', 'http-server'],
    service: true,
    description: 'Background media jobs (video transcodes, trims, freeing unused uploads) from the SQL queue',
    async init(deps, ctx) {
      const { initMediaWorker } = await import('./services/media/media.module.js');
      return initMediaWorker({
        ...deps,
        ids: ctx.ids,
        clock: ctx.clock,
        logger: ctx.logger,
        config: ctx.config.media,
        worker: ctx.config.worker,
      });
    },
  }),

  gateway: define('gateway', {
    deps: ['http-server', 'rpc', 'kv', 'bus', 'tokens', 'metrics', 'blob'],
    peers: ['auth', 'contacts', 'message', 'media'],
    service: true,
    description: 'The public edge: Connect RPC for clients, authentication, request ids',
    async init(deps, ctx, peers) {
      const { initGateway } = await import('./gateway/gateway.module.js');
      const { batchRemoteSends } = await import('./wiring/send-batching.js');
      return initGateway({
        http: deps['http-server'],
        peers,
        // The sockets' sends: batched per event-loop turn when message runs elsewhere.
        socketMessages: batchRemoteSends(deps.rpc, peers.message),
        kv: deps.kv,
        bus: deps.bus,
        tokens: deps.tokens,
        metrics: deps.metrics,
        logger: ctx.logger,
        clock: ctx.clock,
        ws: ctx.config.ws,
        web: ctx.config.web,
        media: { blob: deps.blob, dataDir: ctx.config.dataDir, config: ctx.config.media },
        config: {
          maxBodyBytes: ctx.config.http.maxBodyBytes,
          timeoutMs: ctx.config.rpc.timeoutMs,
          accessTokenTtlSeconds: ctx.config.auth.accessTokenTtlSeconds,
        },
      });
    },
  }),
};

/** Meta-targets only list modules. */
export const META_TARGETS: Record<string, readonly ModuleName[]> = {
  // The gateway comes last: it starts taking client traffic only once every service of the
  // process has registered, so a client reconnecting during a restart never reaches a
  // half-started process (start order follows this list).
  all: ['auth', 'contacts', 'message', 'media', 'worker', 'gateway'],
};
