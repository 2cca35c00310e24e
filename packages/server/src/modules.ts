/**
 * THE map of MyChat's modules: what each needs, and the meta-targets that list them.
 * Read this first. `mychat serve --target=X` runs X and everything it depends on, in
 * dependency order; stops run in reverse. Modules are imported lazily, so a process
 * loads only what it runs. Topology is config: no module knows where its peers run.
 */
import type { Config } from './config.schema.js';
import type { ModuleDefinition } from './kernel/module-graph.js';
import * as infra from './wiring/infrastructure.js';
import { define, type ModuleName } from './wiring/module-kit.js';
import * as services from './wiring/service-modules.js';

export type { AppContext, ModuleName, ModuleValues } from './wiring/module-kit.js';
export { rpcPort } from './wiring/infrastructure.js';

export const MODULES: Record<ModuleName, ModuleDefinition<Config>> = {
  metrics: define('metrics', {
    deps: [],
    description: 'Prometheus registry with process metrics',
    init: infra.initMetrics,
  }),

  'http-server': define('http-server', {
    deps: ['metrics'],
    description: 'HTTP listener: /healthz, /readyz, /metrics and the gateway routes',
    init: infra.initHttpServer,
  }),

  rpc: define('rpc', {
    deps: ['metrics'],
    description: 'Service registry and clients: in-process calls, or gRPC to configured peers',
    init: infra.initRpcHub,
  }),

  'rpc-server': define('rpc-server', {
    // http-server too: every process, a lone service included, answers /healthz, /readyz, /metrics.
    deps: ['rpc', 'http-server'],
    description: 'Internal gRPC listener exposing the services of this process to other processes',
    init: infra.initRpcServer,
  }),

  tokens: define('tokens', {
    deps: [],
    description: 'Access-token signing and verification (Ed25519 key file)',
    init: infra.initTokens,
  }),

  sql: define('sql', {
    deps: [],
    description: 'SQL database: SQLite (default), MySQL/MariaDB or PostgreSQL',
    init: infra.initSql,
  }),

  kv: define('kv', {
    deps: [],
    description: 'Key-value store with TTLs: in-memory (default) or Redis',
    init: infra.initKv,
  }),

  bus: define('bus', {
    deps: [],
    description: 'Best-effort pub/sub hints: in-process (default), Redis or NATS',
    init: infra.initBus,
  }),

  blob: define('blob', {
    deps: [],
    description: 'File storage: local disk (default, gateway-signed URLs) or S3-compatible',
    init: infra.initBlob,
  }),

  mail: define('mail', {
    deps: [],
    description: 'Outgoing mail: the dev outbox (default) or SMTP',
    init: infra.initMail,
  }),

  sms: define('sms', {
    deps: [],
    description: 'Outgoing text messages: the dev outbox (default) or an HTTP provider',
    init: infra.initSms,
  }),

  auth: define('auth', {
    deps: ['sql', 'kv', 'bus', 'mail', 'sms', 'rpc', 'rpc-server', 'tokens'],
    // Media holds the profile pictures.
    peers: ['media'],
    service: true,
    description: 'Accounts, verification codes and device sessions (mychat.auth.v1)',
    init: services.initAuthModule,
  }),

  contacts: define('contacts', {
    deps: ['sql', 'kv', 'bus', 'rpc', 'rpc-server'],
    peers: ['auth', 'message', 'media'],
    service: true,
    description: 'Friends, friend requests, blocking and groups (mychat.contacts.v1)',
    init: services.initContactsModule,
  }),

  message: define('message', {
    deps: ['sql', 'kv', 'bus', 'rpc', 'rpc-server', 'metrics'],
    peers: ['media'],
    service: true,
    description: 'Conversations, messages, sync and receipts (mychat.message.v1)',
    init: services.initMessageModule,
  }),

  media: define('media', {
    deps: ['sql', 'kv', 'blob', 'rpc', 'rpc-server', 'metrics'],
    // No peers: message decides who sees a message's files and asks media only to attach
    // and sign (media never calls back).
    service: true,
    description: 'Files, images, voice, video and the cloud drive (mychat.media.v1)',
    init: services.initMediaModule,
  }),

  search: define('search', {
    deps: ['sql', 'rpc', 'rpc-server'],
    peers: ['message', 'contacts', 'media', 'moments', 'square'],
    service: true,
    description:
      'Search of messages, contacts (with pinyin), files, moments and the square (mychat.search.v1)',
    init: services.initSearchModule,
  }),

  push: define('push', {
    deps: ['sql', 'kv', 'bus', 'rpc', 'rpc-server', 'metrics'],
    service: true,
    description: 'Web Push subscriptions per session, preview and do-not-disturb settings (mychat.push.v1)',
    init: services.initPushModule,
  }),

  'push-sender': define('push-sender', {
    // Listens on the bus as gateways do; message is never told about push (no call on the send path).
    deps: ['sql', 'kv', 'bus', 'rpc', 'metrics'],
    peers: ['message', 'auth'],
    service: true,
    description: 'Sends Web Push (VAPID, aes128gcm) to users with no live socket; part of the worker target',
    init: services.initPushSenderModule,
  }),

  moments: define('moments', {
    deps: ['sql', 'kv', 'bus', 'rpc', 'rpc-server'],
    peers: ['contacts', 'media'],
    service: true,
    description: 'Moments: posts, likes and comments among friends (mychat.moments.v1)',
    init: services.initMomentsModule,
  }),

  rooms: define('rooms', {
    deps: ['sql', 'kv', 'bus', 'rpc', 'rpc-server'],
    peers: ['message', 'media'],
    service: true,
    description: 'Listen together: music rooms inside chats, in sync (mychat.rooms.v1)',
    init: services.initRoomsModule,
  }),

  calls: define('calls', {
    deps: ['sql', 'kv', 'bus', 'rpc', 'rpc-server'],
    peers: ['message'],
    service: true,
    description: 'Voice and video call signalling, TURN credentials and call history (mychat.calls.v1)',
    init: services.initCallsModule,
  }),

  square: define('square', {
    deps: ['sql', 'kv', 'bus', 'rpc', 'rpc-server'],
    peers: ['contacts', 'media'],
    service: true,
    description: 'The square (大论坛): boards, threads, replies and moderation (mychat.square.v1)',
    init: services.initSquareModule,
  }),

  worker: define('worker', {
    // http-server so that a lone worker answers /healthz, /readyz and /metrics; rpc for the
    // fan-out's friend lists (contacts) and the search indexer's message feed, bus for the
    // fan-out's wake-ups and hints; push-sender so that the background work of a split
    // deployment (media jobs, fan-out, indexing, pushes) runs in workers.
    deps: ['sql', 'kv', 'blob', 'bus', 'rpc', 'metrics', 'http-server', 'push-sender'],
    peers: ['contacts', 'message', 'moments', 'square'],
    service: true,
    description:
      'Background jobs: media (video transcodes, trims, freeing unused uploads) from the SQL queue, the moments fan-out, the search indexer, and Web Push sends',
    init: services.initWorkerModule,
  }),

  admin: define('admin', {
    // metrics: the dashboard reads this process's registry (sockets open, messages stored);
    // bus: a system notice goes to every gateway's open sockets.
    deps: ['sql', 'kv', 'bus', 'rpc', 'rpc-server', 'metrics'],
    peers: ['auth', 'contacts', 'message', 'media', 'moments', 'square', 'push', 'keys', 'rooms', 'calls'],
    service: true,
    description: "The operator's console: users, groups, reports, notices, audit log (mychat.admin.v1)",
    init: services.initAdminModule,
  }),

  keys: define('keys', {
    deps: ['sql', 'rpc', 'rpc-server'],
    // No peers: public keys are public; who may open an encrypted chat is message's rule.
    service: true,
    description: "Encrypted chats' public keys: identity and device keys, key backups (mychat.keys.v1)",
    init: services.initKeysModule,
  }),

  gateway: define('gateway', {
    deps: ['http-server', 'rpc', 'kv', 'bus', 'tokens', 'metrics', 'blob'],
    peers: [
      'auth',
      'contacts',
      'message',
      'media',
      'moments',
      'push',
      'search',
      'rooms',
      'calls',
      'square',
      'admin',
      'keys',
    ],
    service: true,
    description: 'The public edge: Connect RPC for clients, authentication, request ids',
    init: services.initGatewayModule,
  }),
};

/** The services, in start order (the split topology's service processes run these). */
const CORE: readonly ModuleName[] = [
  'auth',
  'contacts',
  'message',
  'media',
  'moments',
  'push',
  'search',
  'rooms',
  'calls',
  'square',
  'admin',
  'keys',
  'worker',
];

/** Meta-targets only list modules. */
export const META_TARGETS: Record<string, readonly ModuleName[]> = {
  // The gateway comes last: it starts taking client traffic only once every service of the
  // process has registered, so a client reconnecting during a restart never reaches a
  // half-started process (start order follows this list).
  all: [...CORE, 'gateway'],
  // The split topology's two kinds of process: the services, and the public edge in front.
  core: CORE,
  edge: ['gateway'],
};
