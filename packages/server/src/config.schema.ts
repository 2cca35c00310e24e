import { z } from 'zod';
import { cfg } from './kernel/config.js';
import { parseProxyEntry } from './http/proxy-trust.js';
import { wsConfigSchema } from './gateway/ws/ws.config.js';
import { webConfigSchema } from './gateway/static/static.config.js';
import { blobConfigSchema } from './adapters/blob/blob.config.js';
import { authConfigSchema } from './services/auth/auth.config.js';
import { contactsConfigSchema } from './services/contacts/contacts.config.js';
import { messageConfigSchema } from './services/message/message.config.js';
import { linkPreviewConfigSchema } from './services/message/link-preview/link-preview.config.js';
import { mediaConfigSchema, workerConfigSchema } from './services/media/media.config.js';
import { callsConfigSchema } from './services/calls/calls.config.js';
import { momentsConfigSchema } from './services/moments/moments.config.js';
import { roomsConfigSchema } from './services/rooms/rooms.config.js';
import { keysConfigSchema } from './services/keys/keys.config.js';
import { squareConfigSchema } from './services/square/square.config.js';
import { adminConfigSchema } from './services/admin/admin.config.js';
import { pushConfigSchema } from './services/push/push.config.js';
import { searchConfigSchema } from './services/search/search.config.js';

/** A list of IP addresses and CIDR blocks; each entry is checked when the config loads. */
const addressList = (def: string[]) =>
  cfg.list(def).superRefine((list, ctx) => {
    for (const e of list) {
      const p = parseProxyEntry(e);
      if (typeof p === 'string') ctx.addIssue({ code: 'custom', message: p });
    }
  });

/**
 * The whole config, composed from each module's part. Every field is documented in
 * docs/operations.md; defaults run everything in one process with no external service.
 */
export const configSchema = z.strictObject({
  /** Where embedded data lives: the SQLite file, the outbox, generated keys. */
  dataDir: cfg.str('./data'),
  /** This process's id for time-ordered ids (0-1023); unique per running process in a cluster. */
  nodeId: cfg.int(0, 0, 1023),
  server: cfg.group({
    /**
     * Processes that do the socket work of `mychat serve` (WebSocket, Connect edge, media
     * routes, the web app) on the shared public port, while one primary keeps the services,
     * the single SQLite writer, kv and bus. `auto`: one per core when the process runs the
     * gateway with services (the all-in-one), else 1. `1` (the default until the primary's
     * cost per message drops: on 2 cores, 2 workers cost 40-60 % more CPU per message, see
     * docs/performance.md): everything in one process, no fork.
     */
    workers: z
      .preprocess(
        (v) => {
          if (typeof v !== 'string') return v;
          const t = v.trim();
          return t === 'auto' ? t : t === '' ? Number.NaN : Number(t);
        },
        z.union([z.literal('auto'), z.number().int().min(1).max(256)]),
      )
      .default(1),
  }),
  log: cfg.group({
    level: cfg.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'], 'info'),
    /** When set, each service module also logs to `<dir>/<module>.log`. */
    dir: cfg.optStr(),
    pretty: cfg.enum(['auto', 'true', 'false'], 'auto'),
  }),
  http: cfg.group({
    host: cfg.str('127.0.0.1'),
    port: cfg.port(8080),
    /**
     * Addresses or CIDR blocks of your own reverse proxies (IPv4/IPv6). Only a request whose
     * socket peer is listed may name the client in X-Forwarded-For (walked from the right,
     * past every listed proxy) or the host in X-Forwarded-Host. Empty: forwarded headers are
     * ignored and the socket peer is the client.
     */
    trustedProxies: addressList([]),
    /**
     * Removed: a yes/no trust let any client forge its address. Setting it is refused with a
     * message pointing at trustedProxies.
     */
    trustProxy: z
      .unknown()
      .optional()
      .refine((v) => v === undefined, {
        message:
          'was replaced by http.trustedProxies (MYCHAT_HTTP_TRUSTED_PROXIES): list the addresses or CIDR blocks of your proxies, e.g. 127.0.0.1,10.0.0.0/8',
      }),
    /**
     * Most open TCP connections (WebSockets included); more are refused at once. 0 (auto): the
     * process's open-file limit less 512 descriptors kept for everything else (10 000 where the
     * limit cannot be read).
     */
    maxConnections: cfg.int(0, 0, 10_000_000),
    /**
     * A connection must deliver a request's complete headers within this many ms of opening
     * (or of its previous request); else it is closed. Bodies (uploads) and WebSockets are
     * not bound by it.
     */
    headersTimeoutMs: cfg.int(10_000, 100, 60_000),
    /**
     * Clients that may read /metrics on this port: addresses or CIDR blocks, matched against
     * a direct request's socket peer (a request that came through a proxy, i.e. carries
     * forwarding headers, is refused). Empty: /metrics is not served.
     */
    metricsAllowedFrom: addressList(['127.0.0.0/8', '::1']),
    /** Largest public RPC request body, bytes. */
    maxBodyBytes: cfg.int(64 * 1024, 1024, 16 * 1024 * 1024),
  }),
  rpc: cfg.group({
    /** Internal gRPC listener; never expose it publicly. */
    host: cfg.str('127.0.0.1'),
    /**
     * Its port. Unset: 8081, except in a self-contained process (runs the gateway and has
     * no rpc.peers), where nothing else calls it and a free port is taken, so a second
     * instance on one machine cannot collide on it.
     */
    port: z.preprocess(
      (v) => (typeof v === 'string' ? (v.trim() === '' ? Number.NaN : Number(v)) : v),
      z.number().int().min(0).max(65535).optional(),
    ),
    /** The shared internal token; when unset it is read from (or generated into) tokenFile. */
    token: cfg.optStr(),
    tokenFile: cfg.str('internal-token'),
    /** Deadline for internal calls, ms. */
    timeoutMs: cfg.int(10_000, 100, 600_000),
    /**
     * Most internal calls in flight at once on the connection to one peer; more fail at once
     * with UNAVAILABLE (clients retry with backoff) instead of queueing without bound.
     */
    maxInFlightPerPeer: cfg.int(2_000, 1, 1_000_000),
    /** Where services that do not run in this process are: `auth=http://host:8081,...`. */
    peers: z
      .preprocess((v) => (typeof v === 'string' ? parsePeers(v) : v), z.record(z.string(), z.url()))
      .default({}),
  }),
  sql: cfg.group({
    /** `sqlite:<path>`, `mysql://user:pass@host/db` or `postgres://user:pass@host/db`; default SQLite in dataDir. */
    url: cfg.optStr(),
    /**
     * SQLite durability: `normal` keeps every acknowledged commit when the process is killed
     * (a power loss may lose the last ones); `full` fsyncs each commit (slower).
     */
    sqliteSynchronous: cfg.enum(['normal', 'full'], 'normal'),
  }),
  redis: cfg.group({
    /** When set, kv and bus use Redis. */
    url: cfg.optStr(),
    /** Prefix of every key and channel, so deployments can share a Redis. */
    prefix: cfg.str('mychat:'),
    /**
     * Longest wait for one Redis command, ms. While Redis is unreachable commands fail at
     * once (no offline queue); this bounds one sent just before a connection silently died.
     */
    commandTimeoutMs: cfg.int(2000, 50, 60_000),
  }),
  disk: cfg.group({
    /**
     * /readyz turns 503 (`unhealthy: ["disk"]`) when the file system of dataDir has less
     * free space than this, MiB: SQLite, uploads and logs there would start failing.
     */
    minFreeMb: cfg.int(256, 0, 1_073_741_824),
  }),
  bus: cfg.group({
    /**
     * When set to a `nats://host:4222` URL, the bus (push hints, presence, session ends) runs
     * on NATS; otherwise on Redis when redis.url is set, else in-process.
     */
    url: cfg.optStr(),
  }),
  smtp: cfg.group({
    /** When set, mail goes over SMTP (`smtp://user:pass@host:587`, `smtps://...`); else to the outbox. */
    url: cfg.optStr(),
  }),
  mail: cfg.group({
    from: cfg.str('MyChat <no-reply@mychat.localhost>'),
  }),
  sms: cfg.group({
    /** When set, texts are POSTed as JSON {to, text} to this URL; else to the outbox. */
    httpUrl: cfg.optStr(),
    httpToken: cfg.optStr(),
  }),
  jwt: cfg.group({
    /** Ed25519 private key (PKCS#8 PEM); generated on first start when absent. Relative to dataDir. */
    keyFile: cfg.str('jwt-ed25519.pem'),
  }),
  auth: authConfigSchema,
  contacts: contactsConfigSchema,
  message: messageConfigSchema,
  /** Link previews fetched by the server (see docs/operations.md, "Link previews"). */
  linkPreview: linkPreviewConfigSchema,
  /** File storage (see docs/operations.md, "Media"). */
  blob: blobConfigSchema,
  media: mediaConfigSchema,
  moments: momentsConfigSchema,
  /** Listen-together rooms (see docs/operations.md, "Rooms"). */
  rooms: roomsConfigSchema,
  square: squareConfigSchema,
  /** The operator's console (see docs/operations.md, "Operator's console"). */
  admin: adminConfigSchema,
  worker: workerConfigSchema,
  /** Web Push (see docs/operations.md, "Push notifications"). */
  push: pushConfigSchema,
  /** Message, contact and file search (see docs/operations.md, "Search"). */
  search: searchConfigSchema,
  /** Encrypted chats' public keys (see docs/operations.md, "Encrypted chats"). */
  keys: keysConfigSchema,
  /** Voice and video calls, TURN credentials (see docs/operations.md, "Calls"). */
  calls: callsConfigSchema,
  ws: wsConfigSchema,
  /** The web client served at `/`. */
  web: webConfigSchema,
  bench: cfg.group({
    /**
     * Allows `mychat bench-seed` (accounts, friendships and a group created without sign-up
     * codes, with access tokens written to a file). For benchmark deployments only; never on
     * a server with real users.
     */
    seed: cfg.bool(false),
  }),
});

export type Config = z.output<typeof configSchema>;

/** `auth=http://a:8081, message=http://b:8081` -> { auth: ..., message: ... }; split at the first '='. */
function parsePeers(v: string): Record<string, string> | string {
  const out: Record<string, string> = {};
  for (const part of v
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const at = part.indexOf('=');
    if (at <= 0) return `bad peer entry "${part}": expected name=url`;
    out[part.slice(0, at).trim()] = part.slice(at + 1).trim();
  }
  return out;
}
