/**
 * How each service module of the map (modules.ts) is built: its declared dependencies, its
 * typed peer clients and its slice of the config, handed to the module's own init.
 */
import { dataPath, type AppContext, type ModuleValues } from './module-kit.js';
import type { Peers } from './peers.js';
import type { ServiceInstance } from '../rpc/rpc-impl.js';

export async function initAuthModule(
  deps: Pick<ModuleValues, 'sql' | 'kv' | 'bus' | 'mail' | 'sms' | 'rpc' | 'rpc-server' | 'tokens'>,
  ctx: AppContext,
): Promise<ServiceInstance<ModuleValues['auth']>> {
  const { initAuth } = await import('../services/auth/auth.module.js');
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
}

export async function initContactsModule(
  deps: Pick<ModuleValues, 'sql' | 'kv' | 'bus' | 'rpc' | 'rpc-server'>,
  ctx: AppContext,
  peers: Peers<'auth' | 'message'>,
): Promise<ServiceInstance<ModuleValues['contacts']>> {
  const { initContacts } = await import('../services/contacts/contacts.module.js');
  return initContacts({
    ...deps,
    peers,
    ids: ctx.ids,
    clock: ctx.clock,
    logger: ctx.logger,
    config: ctx.config.contacts,
    callTimeoutMs: ctx.config.rpc.timeoutMs,
  });
}

export async function initMessageModule(
  deps: Pick<ModuleValues, 'sql' | 'kv' | 'bus' | 'rpc' | 'rpc-server' | 'metrics'>,
  ctx: AppContext,
  peers: Peers<'media'>,
): Promise<ServiceInstance<ModuleValues['message']>> {
  const { initMessage } = await import('../services/message/message.module.js');
  return initMessage({
    ...deps,
    peers,
    ids: ctx.ids,
    clock: ctx.clock,
    logger: ctx.logger,
    config: ctx.config.message,
  });
}

export async function initMediaModule(
  deps: Pick<ModuleValues, 'sql' | 'kv' | 'blob' | 'rpc' | 'rpc-server' | 'metrics'>,
  ctx: AppContext,
): Promise<ServiceInstance<ModuleValues['media']>> {
  const { initMedia } = await import('../services/media/media.module.js');
  return initMedia({
    ...deps,
    ids: ctx.ids,
    clock: ctx.clock,
    logger: ctx.logger,
    config: ctx.config.media,
  });
}

export async function initWorkerModule(
  deps: Pick<ModuleValues, 'sql' | 'kv' | 'blob' | 'metrics' | 'http-server'>,
  ctx: AppContext,
): Promise<ServiceInstance<ModuleValues['worker']>> {
  const { initMediaWorker } = await import('../services/media/media.module.js');
  return initMediaWorker({
    ...deps,
    ids: ctx.ids,
    clock: ctx.clock,
    logger: ctx.logger,
    config: ctx.config.media,
    worker: ctx.config.worker,
  });
}

export async function initGatewayModule(
  deps: Pick<ModuleValues, 'http-server' | 'rpc' | 'kv' | 'bus' | 'tokens' | 'metrics' | 'blob'>,
  ctx: AppContext,
  peers: Peers<'auth' | 'contacts' | 'message' | 'media'>,
): Promise<ServiceInstance<ModuleValues['gateway']>> {
  const { initGateway } = await import('../gateway/gateway.module.js');
  const { batchRemoteSends } = await import('./send-batching.js');
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
    ...(ctx.role.kind === 'worker' && {
      worker: { id: ctx.role.uplink.id, limits: ctx.role.uplink.sockets },
    }),
    config: {
      maxBodyBytes: ctx.config.http.maxBodyBytes,
      timeoutMs: ctx.config.rpc.timeoutMs,
      accessTokenTtlSeconds: ctx.config.auth.accessTokenTtlSeconds,
    },
  });
}
