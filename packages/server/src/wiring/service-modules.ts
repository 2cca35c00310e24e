/**
 * How each service module of the map (modules.ts) is built: its declared dependencies, its
 * typed peer clients and its slice of the config, handed to the module's own init.
 */
import { dataPath, type AppContext, type ModuleValues } from './module-kit.js';
import type { Peers } from './peers.js';
import type { ServiceInstance } from '../rpc/rpc-impl.js';
import type { openIndexFeedReader } from '../services/message/message.index-feed.reader.js';
import type { OpenMessageFeedReader } from '../services/search/search.index-threaded.js';
import { sqlUrl } from './infrastructure.js';

/** The reader the wiring names to the search index thread gives what the thread expects. */
const readerFits: typeof openIndexFeedReader extends OpenMessageFeedReader ? true : never = true;
void readerFits;

/** What every service module takes from the app alike: ids, the clock and the logger. */
const basics = (ctx: AppContext) => ({ ids: ctx.ids, clock: ctx.clock, logger: ctx.logger });

export async function initAuthModule(
  deps: Pick<ModuleValues, 'sql' | 'kv' | 'bus' | 'mail' | 'sms' | 'rpc' | 'rpc-server' | 'tokens'>,
  ctx: AppContext,
  peers: Peers<'media'>,
): Promise<ServiceInstance<ModuleValues['auth']>> {
  const { initAuth } = await import('../services/auth/auth.module.js');
  const fs = await import('node:fs');
  return initAuth({
    ...deps,
    peers,
    mail: deps.mail,
    tokens: deps.tokens,
    ...basics(ctx),
    config: ctx.config.auth,
    keyMaterial: fs.readFileSync(dataPath(ctx.config, ctx.config.jwt.keyFile), 'utf8'),
  });
}

export async function initContactsModule(
  deps: Pick<ModuleValues, 'sql' | 'kv' | 'bus' | 'rpc' | 'rpc-server'>,
  ctx: AppContext,
  peers: Peers<'auth' | 'message' | 'media'>,
): Promise<ServiceInstance<ModuleValues['contacts']>> {
  const { initContacts } = await import('../services/contacts/contacts.module.js');
  return initContacts({
    ...deps,
    peers,
    ...basics(ctx),
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
    ...basics(ctx),
    config: ctx.config.message,
    linkPreview: ctx.config.linkPreview,
    dataDir: ctx.config.dataDir,
  });
}

export async function initMediaModule(
  deps: Pick<ModuleValues, 'sql' | 'kv' | 'blob' | 'rpc' | 'rpc-server' | 'metrics'>,
  ctx: AppContext,
): Promise<ServiceInstance<ModuleValues['media']>> {
  const { initMedia } = await import('../services/media/media.module.js');
  return initMedia({
    ...deps,
    ...basics(ctx),
    config: ctx.config.media,
  });
}

export async function initMomentsModule(
  deps: Pick<ModuleValues, 'sql' | 'kv' | 'bus' | 'rpc' | 'rpc-server'>,
  ctx: AppContext,
  peers: Peers<'contacts' | 'media'>,
): Promise<ServiceInstance<ModuleValues['moments']>> {
  const { initMoments } = await import('../services/moments/moments.module.js');
  return initMoments({
    sql: deps.sql,
    kv: deps.kv,
    bus: deps.bus,
    peers,
    ...basics(ctx),
    config: ctx.config.moments,
  });
}

export async function initRoomsModule(
  deps: Pick<ModuleValues, 'sql' | 'kv' | 'bus' | 'rpc' | 'rpc-server'>,
  ctx: AppContext,
  peers: Peers<'message' | 'media'>,
): Promise<ServiceInstance<ModuleValues['rooms']>> {
  const { initRooms } = await import('../services/rooms/rooms.module.js');
  return initRooms({
    sql: deps.sql,
    bus: deps.bus,
    peers,
    ...basics(ctx),
    config: ctx.config.rooms,
  });
}

export async function initKeysModule(
  deps: Pick<ModuleValues, 'sql' | 'rpc' | 'rpc-server'>,
  ctx: AppContext,
): Promise<ServiceInstance<ModuleValues['keys']>> {
  const { initKeys } = await import('../services/keys/keys.module.js');
  return initKeys({ sql: deps.sql, clock: ctx.clock, logger: ctx.logger, config: ctx.config.keys });
}

export async function initCallsModule(
  deps: Pick<ModuleValues, 'sql' | 'kv' | 'bus' | 'rpc' | 'rpc-server'>,
  ctx: AppContext,
  peers: Peers<'message'>,
): Promise<ServiceInstance<ModuleValues['calls']>> {
  const { initCalls } = await import('../services/calls/calls.module.js');
  return initCalls({
    sql: deps.sql,
    kv: deps.kv,
    bus: deps.bus,
    peers,
    ...basics(ctx),
    config: ctx.config.calls,
  });
}

export async function initSquareModule(
  deps: Pick<ModuleValues, 'sql' | 'kv' | 'bus' | 'rpc' | 'rpc-server'>,
  ctx: AppContext,
  peers: Peers<'contacts' | 'media'>,
): Promise<ServiceInstance<ModuleValues['square']>> {
  const { initSquare } = await import('../services/square/square.module.js');
  return initSquare({
    sql: deps.sql,
    bus: deps.bus,
    peers,
    ...basics(ctx),
    config: ctx.config.square,
  });
}

export async function initSearchModule(
  deps: Pick<ModuleValues, 'sql' | 'rpc' | 'rpc-server'>,
  ctx: AppContext,
  peers: Peers<'message' | 'contacts' | 'media' | 'moments' | 'square'>,
): Promise<ServiceInstance<ModuleValues['search']>> {
  const { initSearch } = await import('../services/search/search.module.js');
  const { searchDatabase } = await import('./search-database.js');
  const database = await searchDatabase(deps.sql, ctx.config, ctx.logger);
  try {
    const instance = await initSearch({ sql: database.db, peers, clock: ctx.clock, logger: ctx.logger });
    return { ...instance, stop: () => database.release() };
  } catch (err) {
    await database.release();
    throw err;
  }
}

/**
 * The worker runs every service's background jobs: media's queue, the moments fan-out, and the
 * search indexer unless `search.indexer` is off.
 */
export async function initWorkerModule(
  deps: Pick<ModuleValues, 'sql' | 'kv' | 'blob' | 'bus' | 'rpc' | 'metrics' | 'http-server'>,
  ctx: AppContext,
  peers: Peers<'contacts' | 'message' | 'moments' | 'square'>,
): Promise<ServiceInstance<ModuleValues['worker']>> {
  const { initMediaWorker } = await import('../services/media/media.module.js');
  const { initMomentsFanout } = await import('../services/moments/moments.module.js');
  const media = await initMediaWorker({
    ...deps,
    ...basics(ctx),
    config: ctx.config.media,
    worker: ctx.config.worker,
  });
  const moments = await initMomentsFanout({
    sql: deps.sql,
    bus: deps.bus,
    metrics: deps.metrics,
    peers,
    clock: ctx.clock,
    logger: ctx.logger,
    config: ctx.config.moments,
  });
  const indexer = ctx.config.search.indexer ? await initWorkerSearchIndexer(deps, ctx, peers) : undefined;
  return {
    value: { media: media.value, moments: moments.value },
    start: async () => {
      await media.start?.();
      await moments.start?.();
      await indexer?.start();
    },
    stop: async () => {
      await indexer?.stop();
      await moments.stop?.();
      await media.stop?.();
    },
  };
}

/**
 * The search indexer of a worker, on the search database (its own SQLite file, or the shared
 * one). With the index on its thread and message's store a SQLite file of this process, the
 * message indexer runs on that thread and reads the file through message's reader
 * (message.index-feed.reader.ts: named here, by URL, so search never imports message's files).
 */
async function initWorkerSearchIndexer(
  deps: Pick<ModuleValues, 'sql' | 'metrics' | 'rpc'>,
  ctx: AppContext,
  peers: Peers<'message' | 'moments' | 'square'>,
): Promise<{ start(): Promise<void>; stop(): Promise<void> }> {
  const { initSearchIndexer } = await import('../services/search/search.module.js');
  const { searchDatabase } = await import('./search-database.js');
  const { parseSqlUrl } = await import('../adapters/sql/open-sql.js');
  const { moduleHref } = await import('../kernel/module-thread.js');
  const { message } = await import('@mychat/protocol');
  const database = await searchDatabase(deps.sql, ctx.config, ctx.logger);
  const { search } = ctx.config;
  const instanceId = `${ctx.config.nodeId}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  const config = {
    pollIntervalMs: search.pollIntervalMs,
    batchSize: search.batchSize,
    settleSeconds: search.settleSeconds,
    mergeEveryDocs: search.mergeEveryDocs,
  };
  const store = parseSqlUrl(sqlUrl(ctx.config));
  const fileStore =
    store.engine === 'sqlite' &&
    store.path !== ':memory:' &&
    deps.sql.engine === 'sqlite' &&
    deps.rpc.isLocal(message.MessageInternalService);
  const indexer = await initSearchIndexer({
    sql: database.db,
    peers,
    metrics: deps.metrics,
    clock: ctx.clock,
    logger: ctx.logger,
    instanceId,
    config,
    ...(search.indexThread &&
      database.db.engine === 'sqlite' &&
      database.url &&
      !database.url.endsWith(':memory:') && {
        thread: {
          url: database.url,
          sqliteSynchronous: ctx.config.sql.sqliteSynchronous,
          nice: search.indexerNice,
          mergeEveryDocs: search.mergeEveryDocs,
          ...(fileStore && {
            messages: {
              reader: moduleHref(
                new URL('../services/message/message.index-feed.reader.js', import.meta.url),
              ),
              path: store.path!,
              instanceId,
              config,
            },
          }),
        },
      }),
  }).catch(async (err: unknown) => {
    await database.release();
    throw err;
  });
  return {
    start: async () => {
      await indexer.start?.();
    },
    stop: async () => {
      await indexer.stop?.();
      await database.release();
    },
  };
}

export async function initPushModule(
  deps: Pick<ModuleValues, 'sql' | 'kv' | 'bus' | 'rpc' | 'rpc-server' | 'metrics'>,
  ctx: AppContext,
): Promise<ServiceInstance<ModuleValues['push']>> {
  const { initPush } = await import('../services/push/push.module.js');
  return initPush({
    ...deps,
    ...basics(ctx),
    config: ctx.config.push,
    dataDir: ctx.config.dataDir,
  });
}

export async function initPushSenderModule(
  deps: Pick<ModuleValues, 'sql' | 'kv' | 'bus' | 'rpc' | 'metrics'>,
  ctx: AppContext,
  peers: Peers<'message' | 'auth'>,
): Promise<ServiceInstance<ModuleValues['push-sender']>> {
  const { initPushSender } = await import('../services/push/push.module.js');
  return initPushSender({
    ...deps,
    peers,
    clock: ctx.clock,
    logger: ctx.logger,
    config: ctx.config.push,
    dataDir: ctx.config.dataDir,
  });
}

export async function initAdminModule(
  deps: Pick<ModuleValues, 'sql' | 'kv' | 'bus' | 'rpc' | 'rpc-server' | 'metrics'>,
  ctx: AppContext,
  peers: Peers<
    'auth' | 'contacts' | 'message' | 'media' | 'moments' | 'square' | 'push' | 'keys' | 'rooms' | 'calls'
  >,
): Promise<ServiceInstance<ModuleValues['admin']>> {
  const { initAdmin } = await import('../services/admin/admin.module.js');
  return initAdmin({
    sql: deps.sql,
    kv: deps.kv,
    bus: deps.bus,
    metrics: deps.metrics,
    peers,
    ...basics(ctx),
    config: ctx.config.admin,
  });
}

export async function initGatewayModule(
  deps: Pick<ModuleValues, 'http-server' | 'rpc' | 'kv' | 'bus' | 'tokens' | 'metrics' | 'blob'>,
  ctx: AppContext,
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
  >,
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
      adminEnabled: ctx.config.admin.enabled,
    },
  });
}
