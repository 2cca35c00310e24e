/**
 * How the infrastructure modules of the map (modules.ts) are built from config: the metrics
 * registry, the listeners, the RPC hub, the adapters. Each is imported lazily, so a process
 * loads only the adapters it runs.
 */
import path from 'node:path';
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';
import { dataPath, type AppContext, type ModuleValues } from './module-kit.js';
import type { ServiceInstance } from '../rpc/rpc-impl.js';

/**
 * The internal gRPC port when rpc.port is unset. A self-contained process (it runs the
 * gateway and calls no peer) is never called by another, so it takes a free loopback port
 * and two such instances on one machine do not collide; any other keeps the well-known 8081.
 */
export function rpcPort(
  ctx: Pick<AppContext, 'config' | 'modules'> & Partial<Pick<AppContext, 'role'>>,
): number {
  if (ctx.config.rpc.port !== undefined) return ctx.config.rpc.port;
  // A primary's gateway runs in its socket workers: the process is as self-contained as one that runs it.
  const gateway = ctx.modules.includes('gateway') || ctx.role?.kind === 'primary';
  const selfContained = gateway && Object.keys(ctx.config.rpc.peers).length === 0;
  return selfContained ? 0 : 8081;
}

export async function initMetrics(
  _deps: unknown,
  ctx: AppContext,
): Promise<ServiceInstance<ModuleValues['metrics']>> {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'mychat_' });
  // The primary reads a socket worker's metrics to serve them with everyone's.
  if (ctx.role.kind === 'worker') ctx.role.uplink.serveMetrics(registry);
  return { value: registry };
}

export async function initHttpServer(
  { metrics }: Pick<ModuleValues, 'metrics'>,
  ctx: AppContext,
): Promise<ServiceInstance<ModuleValues['http-server']>> {
  const { HttpServer } = await import('../http/http-server.js');
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
    // The primary of socket workers takes no connections; its workers share the public port
    // and listen once their gateway runs (serve-workers.ts).
    listen: ctx.role.kind === 'single',
    ...(ctx.role.kind === 'worker' && {
      workerId: ctx.role.uplink.id,
      metricsText: ctx.role.uplink.metrics,
    }),
  });
  return { value: server, start: () => server.start(), stop: () => server.stop() };
}

export async function initRpcHub(
  { metrics }: Pick<ModuleValues, 'metrics'>,
  ctx: AppContext,
): Promise<ServiceInstance<ModuleValues['rpc']>> {
  const { RpcHub } = await import('../rpc/rpc-hub.js');
  const { readOrCreateSecret } = await import('../kernel/secret-files.js');
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
    // A socket worker reaches every service through its primary.
    ...(ctx.role.kind === 'worker' && { outbound: ctx.role.uplink.transport }),
  });
  return { value: hub };
}

export async function initRpcServer(
  { rpc }: Pick<ModuleValues, 'rpc' | 'http-server'>,
  ctx: AppContext,
): Promise<ServiceInstance<ModuleValues['rpc-server']>> {
  const { RpcServer } = await import('../rpc/rpc-server.js');
  const server = new RpcServer(rpc, {
    host: ctx.config.rpc.host,
    port: rpcPort(ctx),
    logger: ctx.logger,
  });
  return { value: server, start: () => server.start(), stop: () => server.stop() };
}

export async function initTokens(
  _deps: unknown,
  ctx: AppContext,
): Promise<ServiceInstance<ModuleValues['tokens']>> {
  const { AccessTokens } = await import('../adapters/tokens/access-tokens.js');
  return { value: AccessTokens.fromKeyFile(dataPath(ctx.config, ctx.config.jwt.keyFile)) };
}

/** The main database's URL (`sql.url`): by default SQLite, `mychat.db` in dataDir. */
export const sqlUrl = (config: AppContext['config']) =>
  config.sql.url ?? `sqlite:${path.join(config.dataDir, 'mychat.db')}`;

export async function initSql(
  _deps: unknown,
  ctx: AppContext,
): Promise<ServiceInstance<ModuleValues['sql']>> {
  const { openSql } = await import('../adapters/sql/open-sql.js');
  const url = sqlUrl(ctx.config);
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
}

export async function initKv(_deps: unknown, ctx: AppContext): Promise<ServiceInstance<ModuleValues['kv']>> {
  // A socket worker uses its primary's store (memory or Redis): one set of windows and leases.
  if (ctx.role.kind === 'worker') return { value: ctx.role.uplink.kv };
  const { openKv } = await import('../adapters/kv/open-kv.js');
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
}

export async function initBus(
  _deps: unknown,
  ctx: AppContext,
): Promise<ServiceInstance<ModuleValues['bus']>> {
  if (ctx.role.kind === 'worker') {
    const bus = ctx.role.uplink.bus;
    return { value: bus, stop: () => bus.close(), health: async () => bus.connected() };
  }
  const { openBus } = await import('../adapters/bus/open-bus.js');
  const bus = await openBus({
    busUrl: ctx.config.bus.url,
    redisUrl: ctx.config.redis.url,
    prefix: ctx.config.redis.prefix,
    logger: ctx.logger,
    commandTimeoutMs: ctx.config.redis.commandTimeoutMs,
  });
  return { value: bus, stop: () => bus.close(), health: async () => bus.connected() };
}

export async function initBlob(
  _deps: unknown,
  ctx: AppContext,
): Promise<ServiceInstance<ModuleValues['blob']>> {
  const { openBlob } = await import('../adapters/blob/open-blob.js');
  const { readOrCreateSecret } = await import('../kernel/secret-files.js');
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
}

export async function initMail(
  _deps: unknown,
  ctx: AppContext,
): Promise<ServiceInstance<ModuleValues['mail']>> {
  const { openMailer } = await import('../adapters/mail/open-mailer.js');
  const mailer = await openMailer({
    smtpUrl: ctx.config.smtp.url,
    from: ctx.config.mail.from,
    outboxDir: dataPath(ctx.config, 'outbox'),
    logger: ctx.logger,
  });
  return { value: mailer, stop: () => mailer.close() };
}

export async function initSms(
  _deps: unknown,
  ctx: AppContext,
): Promise<ServiceInstance<ModuleValues['sms']>> {
  const { openSms } = await import('../adapters/sms/open-sms.js');
  const sms = await openSms({
    httpUrl: ctx.config.sms.httpUrl,
    httpToken: ctx.config.sms.httpToken,
    outboxDir: dataPath(ctx.config, 'outbox'),
    logger: ctx.logger,
  });
  return { value: sms, stop: () => sms.close() };
}
