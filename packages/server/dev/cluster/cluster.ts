import { generateKeyPairSync, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { configSchema } from '@mychat/server/config.schema';
import { configKeys } from '@mychat/server/kernel/config';
import { META_TARGETS, MODULES, type ModuleName } from '@mychat/server/modules';
import { createClusterDatabase, type ClusterDatabase } from './cluster-database.js';
import { ClusterProcess } from './cluster-process.js';
import { NGINX_BINARY, startNginxEntry } from './nginx-entry.js';
import { startTcpEntry } from './tcp-entry.js';

/** The services of the split topology, one process each: the `core` meta-target. */
export const CLUSTER_SERVICES: readonly ModuleName[] = META_TARGETS.core!;

/** Services that serve internal gRPC (the others, such as a queue worker, only call out). */
const servesRpc = (name: ModuleName) => MODULES[name].deps.includes('rpc-server');

/** Every MYCHAT_* variable the config knows; settings for modules not built yet are left out. */
const KNOWN_ENV = new Set(configKeys(configSchema).map((k) => k.env));

export interface ClusterOptions {
  /** `postgres` (default), `mysql`, or an admin URL of either: a fresh database is created there. */
  sql?: string;
  /** Redis for kv (and the bus unless `busUrl`); default redis://127.0.0.1:6379. */
  redisUrl?: string;
  /** A NATS URL for the bus (`nats://127.0.0.1:4222`); default: the bus on Redis. */
  busUrl?: string;
  /** How many gateways (default 2). */
  gateways?: number;
  /** The round-robin entry: nginx when installed (`auto`, the default), or the built-in TCP one. */
  entry?: 'auto' | 'nginx' | 'node';
  /** The entry's port (default: a free one). */
  entryPort?: number;
  /** MYCHAT_* settings for every process. */
  env?: Record<string, string>;
  /** MYCHAT_* settings for one process, by name (gateway-1, auth, ...). */
  envFor?: Record<string, Record<string, string>>;
  /** log.level of every process (default info). */
  logLevel?: string;
  /** Working directory (data dirs, logs, secrets); default a new temp directory. */
  dir?: string;
  /** Keep the database, the Redis keys and the directory on stop (default false). */
  keep?: boolean;
  /** Node flags for every process, after the production ones (say `--cpu-prof`). */
  nodeArgs?: readonly string[];
}

/** A split MyChat on loopback: gateways behind a round-robin entry, one process per service. */
export interface Cluster {
  /** The entry clients use (HTTP and /ws). */
  baseUrl: string;
  dir: string;
  /** nginx or node. */
  entry: 'nginx' | 'node';
  sqlUrl: string;
  redisUrl: string;
  redisPrefix: string;
  internalToken: string;
  gateways: readonly ClusterProcess[];
  /** Every process, services first. */
  processes: readonly ClusterProcess[];
  process(name: string): ClusterProcess;
  /** The newest verification code mailed to `email` (read from the auth process's outbox). */
  codeFor(email: string): Promise<string>;
  /** SIGKILLs gateway `i` (0-based). */
  killGateway(i: number): Promise<void>;
  /** Stops a process gracefully (SIGTERM) and starts it again on the same ports. */
  restart(name: string): Promise<void>;
  stop(): Promise<void>;
}

/**
 * A TCP port free on loopback right now (for processes started next), taken below the
 * kernel's ephemeral range where it can tell it: a port handed out by `listen(0)` comes
 * from that range, and any outgoing connection made meanwhile (by another test, say) may
 * take it as its source port before the process that should listen on it starts.
 */
export async function freePort(): Promise<number> {
  const low = ephemeralLow();
  if (low !== undefined && low > 12_000) {
    for (let i = 0; i < 50; i++) {
      const port = 10_000 + Math.floor(Math.random() * (low - 10_000));
      // A port handed out before may not be listened on yet: never hand it out twice.
      if (!handedOut.has(port) && (await canListen(port))) {
        handedOut.add(port);
        return port;
      }
    }
  }
  return listenOnce(0);
}
/** Ports this process's freePort gave (a cluster takes 30 and more before any is listened on). */
const handedOut = new Set<number>();

/** The first port of Linux's ephemeral range, or undefined elsewhere. */
function ephemeralLow(): number | undefined {
  try {
    const low = Number(
      fs.readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0],
    );
    return Number.isInteger(low) ? low : undefined;
  } catch {
    return undefined;
  }
}

function canListen(port: number): Promise<boolean> {
  return listenOnce(port).then(
    () => true,
    () => false,
  );
}

function listenOnce(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(port, '127.0.0.1', () => {
      const bound = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(bound));
    });
  });
}

/**
 * Starts the split topology on loopback: auth, contacts and message each in their own
 * process (internal gRPC with a shared token), N gateways, and a round-robin entry in front,
 * on a fresh SQL database plus Redis. Every process has its own nodeId and data dir and the
 * same JWT key file and internal token. The same binary and config keys an operator uses.
 */
export async function startCluster(opts: ClusterOptions = {}): Promise<Cluster> {
  const dir = opts.dir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'mychat-cluster-'));
  fs.mkdirSync(path.join(dir, 'logs'), { recursive: true });
  const secrets = path.join(dir, 'secrets');
  fs.mkdirSync(secrets, { recursive: true, mode: 0o700 });
  const jwtKeyFile = path.join(secrets, 'jwt-ed25519.pem');
  if (!fs.existsSync(jwtKeyFile)) {
    const pem = generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' });
    fs.writeFileSync(jwtKeyFile, pem, { mode: 0o600 });
  }
  // Web Push: the push service hands out the public key the workers sign with (one file).
  const vapidKeyFile = path.join(secrets, 'vapid-p256.pem');
  if (!fs.existsSync(vapidKeyFile)) {
    const pem = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey.export({
      format: 'pem',
      type: 'pkcs8',
    });
    fs.writeFileSync(vapidKeyFile, pem, { mode: 0o600 });
  }
  const internalToken = randomBytes(32).toString('base64url');
  const redisUrl = opts.redisUrl ?? 'redis://127.0.0.1:6379';
  const redisPrefix = `mychat-cluster-${randomBytes(4).toString('hex')}:`;
  const db: ClusterDatabase = await createClusterDatabase(opts.sql ?? 'postgres');

  const processes: ClusterProcess[] = [];
  const ports = new Map<string, { http: number; rpc: number }>();
  for (const s of CLUSTER_SERVICES)
    ports.set(s, { http: await freePort(), rpc: servesRpc(s) ? await freePort() : 0 });
  const gatewayCount = opts.gateways ?? 2;
  for (let i = 1; i <= gatewayCount; i++) ports.set(`gateway-${i}`, { http: await freePort(), rpc: 0 });
  const peers = CLUSTER_SERVICES.filter(servesRpc)
    .map((s) => `${s}=http://127.0.0.1:${ports.get(s)!.rpc}`)
    .join(',');
  // Files on disk that every process must see alike (a split deployment on disk shares them).
  const shared: Record<string, string> = {
    MYCHAT_BLOB_DIR: path.join(dir, 'blobs'),
    // Unfinished resumable uploads: a resume may reach another gateway than the start did.
    MYCHAT_MEDIA_RESUMABLE_DIR: path.join(dir, 'tus'),
    MYCHAT_BLOB_SIGNING_SECRET: randomBytes(32).toString('base64url'),
    MYCHAT_PUSH_VAPID_KEY_FILE: vapidKeyFile,
  };
  for (const k of Object.keys(shared)) if (!KNOWN_ENV.has(k)) delete shared[k];

  let nodeId = 0;
  const make = (name: string, targets: string, extra: Record<string, string>) => {
    const p = ports.get(name)!;
    const dataDir = path.join(dir, name);
    fs.mkdirSync(dataDir, { recursive: true });
    const env: Record<string, string> = {
      MYCHAT_DATA_DIR: dataDir,
      MYCHAT_NODE_ID: String(++nodeId),
      MYCHAT_HTTP_HOST: '127.0.0.1',
      MYCHAT_HTTP_PORT: String(p.http),
      MYCHAT_RPC_HOST: '127.0.0.1',
      MYCHAT_RPC_PORT: String(p.rpc), // 0 for gateways and workers, which serve no internal rpc
      MYCHAT_RPC_TOKEN: internalToken,
      MYCHAT_RPC_PEERS: peers,
      MYCHAT_SQL_URL: db.url,
      MYCHAT_REDIS_URL: redisUrl,
      MYCHAT_REDIS_PREFIX: redisPrefix,
      MYCHAT_JWT_KEY_FILE: jwtKeyFile,
      MYCHAT_LOG_LEVEL: opts.logLevel ?? 'info',
      MYCHAT_LOG_PRETTY: 'false',
      ...(opts.busUrl && { MYCHAT_BUS_URL: opts.busUrl }),
      ...shared,
      ...extra,
      ...opts.env,
      ...opts.envFor?.[name],
    };
    const proc = new ClusterProcess(
      name,
      targets,
      p.http,
      p.rpc,
      path.join(dir, 'logs', `${name}.log`),
      env,
      opts.nodeArgs,
    );
    processes.push(proc);
    return proc;
  };
  for (const s of CLUSTER_SERVICES) make(s, s, {});
  const gateways: ClusterProcess[] = [];
  for (let i = 1; i <= gatewayCount; i++)
    gateways.push(make(`gateway-${i}`, 'gateway', { MYCHAT_HTTP_TRUSTED_PROXIES: '127.0.0.1,::1' }));

  let entryStop: () => Promise<void> = async () => undefined;
  const stopAll = async () => {
    await entryStop();
    // Gateways first (they drain their sockets), then the services they call.
    await Promise.all(gateways.map((g) => g.stop()));
    await Promise.all(processes.filter((p) => !gateways.includes(p)).map((p) => p.stop()));
  };
  try {
    await Promise.all(processes.filter((p) => !gateways.includes(p)).map((p) => p.start()));
    await Promise.all(gateways.map((g) => g.start()));
  } catch (err) {
    await stopAll();
    if (!opts.keep) await db.drop().catch(() => undefined);
    throw err;
  }

  const entryPort = opts.entryPort ?? (await freePort());
  const useNginx = opts.entry === 'nginx' || (opts.entry !== 'node' && fs.existsSync(NGINX_BINARY));
  if (useNginx) {
    const nginx = await startNginxEntry({
      dir: path.join(dir, 'nginx'),
      listen: `127.0.0.1:${entryPort}`,
      backends: gateways.map((g) => `127.0.0.1:${g.httpPort}`),
    });
    entryStop = () => nginx.stop();
  } else {
    const tcp = await startTcpEntry({
      host: '127.0.0.1',
      port: entryPort,
      backends: gateways.map((g) => ({ host: '127.0.0.1', port: g.httpPort })),
    });
    entryStop = () => tcp.close();
  }
  const baseUrl = `http://127.0.0.1:${entryPort}`;
  for (let i = 0; i < 100; i++) {
    const ok = await fetch(`${baseUrl}/readyz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) break;
    await new Promise((r) => setTimeout(r, 50));
  }

  const byName = (name: string) => {
    const p = processes.find((x) => x.name === name);
    if (!p) throw new Error(`no process ${name} (have ${processes.map((x) => x.name).join(', ')})`);
    return p;
  };
  const outbox = path.join(dir, 'auth', 'outbox');
  const codes = new OutboxReader(outbox);
  let stopped = false;

  return {
    baseUrl,
    dir,
    entry: useNginx ? 'nginx' : 'node',
    sqlUrl: db.url,
    redisUrl,
    redisPrefix,
    internalToken,
    gateways,
    processes,
    process: byName,
    codeFor: (email) => codes.codeFor(email),
    killGateway: async (i) => {
      const g = gateways[i];
      if (!g) throw new Error(`no gateway ${i} (have ${gateways.length})`);
      await g.kill();
    },
    restart: async (name) => {
      const p = byName(name);
      await p.stop();
      await p.start();
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      await stopAll();
      if (opts.keep) return;
      await db.drop().catch(() => undefined);
      await deleteRedisPrefix(redisUrl, redisPrefix).catch(() => undefined);
      if (!opts.dir) fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Verification codes from the dev outbox, as a person reading their mail: the newest mail to
 * an address that the reader has not returned before. Parsed files are remembered, so 200
 * sign-ups cost 200 file reads, not 200 x 200.
 */
class OutboxReader {
  private readonly parsed = new Map<string, { to: string; code: string }>();
  private readonly used = new Set<string>();

  constructor(private readonly dir: string) {}

  async codeFor(email: string, timeoutMs = 10_000): Promise<string> {
    const want = email.toLowerCase();
    const end = Date.now() + timeoutMs;
    while (Date.now() < end) {
      const names = fs.existsSync(this.dir)
        ? fs.readdirSync(this.dir).filter((n) => n.endsWith('.eml') && !n.startsWith('.'))
        : [];
      for (const n of names) if (!this.parsed.has(n)) this.parsed.set(n, this.parse(path.join(this.dir, n)));
      const mine = names.filter((n) => this.parsed.get(n)!.to === want && this.parsed.get(n)!.code).sort();
      const newest = mine.at(-1);
      if (newest && !this.used.has(newest)) {
        this.used.add(newest);
        return this.parsed.get(newest)!.code;
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error(`no code arrived for ${email}`);
  }

  private parse(file: string): { to: string; code: string } {
    const text = fs.readFileSync(file, 'utf8').replace(/\r/g, '');
    const to = /^To: (?:.*<)?([^>\s]+)>?$/m.exec(text)?.[1]?.toLowerCase() ?? '';
    const code = /^ +(\d{6})$/m.exec(text)?.[1] ?? '';
    return { to, code };
  }
}

async function deleteRedisPrefix(url: string, prefix: string): Promise<void> {
  const { Redis } = await import('ioredis');
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    for await (const keys of redis.scanStream({ match: `${prefix}*`, count: 500 }) as AsyncIterable<string[]>)
      if (keys.length > 0) await redis.del(...keys);
  } finally {
    redis.disconnect();
  }
}
