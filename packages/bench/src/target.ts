/**
 * What a scenario drives: the all-in-one server on SQLite (started here), the loopback cluster on
 * PostgreSQL + Redis (started here), or a running server given by URL and a seed file. Each
 * target is seeded through `mychat bench-seed` and reports the CPU and RSS of its processes.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { MAIN_JS as SERVER_MAIN, startCluster } from '@mychat/server/dev/cluster';
import { descendantPids, procStats, serverNodeArgs, startLocalServer } from './local-server.js';

const run = promisify(execFile);

/** `mychat bench-seed`'s output file. */
export interface Seed {
  password: string;
  users: { id: string; email: string; accessToken: string; accessExpiresAt: number }[];
  pairs: { a: number; b: number; conversationId: string }[];
  group?: { id: string; members: number };
  /** Friends per user on the seed's ring (bench-seed --friends); 0 or absent when none. */
  friends?: number;
  /** The square's board (bench-seed --square-threads), some of its threads and their replies. */
  square?: { boardId: string; threads: number; replies: number; sample: { id: string; replies: number }[] };
  /** Messages written in bulk (bench-seed --messages). */
  messages?: number;
}

export type Mode = 'local' | 'cluster' | 'url';

export interface Target {
  mode: Mode;
  /** The entry clients use (HTTP base; /ws on it). */
  url: string;
  /** Where WebSockets may also go directly (a cluster's gateways); [url] otherwise. */
  gatewayUrls: string[];
  seed: Seed;
  /** The started all-in-one server's data directory (local mode). */
  dataDir?: string;
  /** Every server process (empty when unknown). */
  pids(): number[];
  /** The processes that hold WebSockets (for memory per connection). */
  gatewayPids(): number[];
  stop(): Promise<void>;
}

export interface TargetOptions {
  mode: Mode;
  users: number;
  groupSize: number;
  /** Whether the run needs friend pairs (connect and idle do not). */
  pairs: boolean;
  /** Friends per user on a ring (moments); 0 for none. */
  friends?: number;
  /** For mode url: the base URL and the seed file made by `mychat bench-seed`, and its pids. */
  url?: string;
  seedFile?: string;
  serverPids?: number[];
  /** cluster: how many gateways (default 2). */
  gateways?: number;
  /** Extra MYCHAT_* settings for started servers. */
  env?: Record<string, string>;
  /** A square board to seed in bulk (the square scenario; local mode). */
  square?: { threads: number; replies: number };
  /** Messages of the search corpus to seed in bulk (the search scenario; local mode). */
  seedMessages?: number;
  /** Called once the seed is written, before the server starts (local mode). */
  onSeeded?(): void;
}

/** Settings every started target gets: no per-user send limit in the way, long-lived tokens. */
export const BENCH_SERVER_ENV: Record<string, string> = {
  MYCHAT_MESSAGE_SEND_BURST: '100000',
  MYCHAT_MESSAGE_SEND_RATE_PER_SECOND: '100000',
  MYCHAT_AUTH_ACCESS_TOKEN_TTL_SECONDS: '86400',
  MYCHAT_WS_MAX_PENDING_SOCKETS: '1000000',
  // Every lean client connects from loopback: one address's share must not refuse the storm.
  MYCHAT_WS_MAX_PENDING_SOCKETS_PER_IP: '1000000',
  MYCHAT_LOG_LEVEL: 'warn',
};

/** Runs `mychat bench-seed` with the given environment; returns the parsed seed. */
export async function seedWith(
  env: Record<string, string>,
  users: number,
  groupSize: number,
  pairs = true,
  friends = 0,
  square?: TargetOptions['square'],
  messages = 0,
): Promise<Seed> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mychat-seed-'));
  const file = path.join(dir, 'seed.json');
  try {
    const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('MYCHAT_')));
    const { stdout } = await run(
      process.execPath,
      [
        SERVER_MAIN,
        'bench-seed',
        `--out=${file}`,
        `--users=${users}`,
        `--group-size=${groupSize}`,
        `--pairs=${pairs}`,
        `--friends=${friends}`,
        ...(square ? [`--square-threads=${square.threads}`, `--square-replies=${square.replies}`] : []),
        ...(messages ? [`--messages=${messages}`] : []),
      ],
      { env: { ...clean, ...env, MYCHAT_BENCH_SEED: 'true' }, maxBuffer: 1 << 20, timeout: 30 * 60_000 },
    );
    process.stderr.write(`bench: ${stdout.trim()}\n`);
    return JSON.parse(fs.readFileSync(file, 'utf8')) as Seed;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export async function openTarget(o: TargetOptions): Promise<Target> {
  const env = { ...BENCH_SERVER_ENV, ...o.env };
  if (o.mode === 'url') {
    if (!o.url || !o.seedFile) throw new Error('--url needs --seed <file from mychat bench-seed>');
    const seed = JSON.parse(fs.readFileSync(o.seedFile, 'utf8')) as Seed;
    const pids = o.serverPids ?? [];
    return {
      mode: 'url',
      url: o.url.replace(/\/$/, ''),
      gatewayUrls: [o.url.replace(/\/$/, '')],
      seed,
      pids: () => pids,
      gatewayPids: () => pids,
      stop: async () => undefined,
    };
  }
  if (o.mode === 'local') {
    // Seed first, on the data dir the server then serves (SQLite allows one writer at a time).
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mychat-bench-'));
    const seed = await seedWith(
      { ...env, MYCHAT_DATA_DIR: dataDir },
      o.users,
      o.groupSize,
      o.pairs,
      o.friends,
      o.square,
      o.seedMessages,
    );
    o.onSeeded?.();
    const server = await startLocalServer(env, dataDir);
    // With socket workers the server is its primary and the workers it forked: count them all.
    const all = () => [server.pid, ...descendantPids(server.pid)];
    return {
      mode: 'local',
      url: server.url,
      gatewayUrls: [server.url],
      seed,
      dataDir,
      pids: all,
      gatewayPids: all,
      stop: () => server.stop(),
    };
  }
  const cluster = await startCluster({
    env,
    logLevel: 'warn',
    entry: 'node',
    gateways: o.gateways ?? 2,
    // BENCH_CPU_PROF and BENCH_SERVER_NODE_ARGS, as for the all-in-one server: a profile per process.
    nodeArgs: serverNodeArgs(process.env),
  });
  try {
    const seed = await seedWith(
      {
        ...env,
        MYCHAT_DATA_DIR: path.join(cluster.dir, 'bench-seed'),
        // Ids are unique per process: the cluster numbers its processes from 1.
        MYCHAT_NODE_ID: '1023',
        MYCHAT_SQL_URL: cluster.sqlUrl,
        MYCHAT_REDIS_URL: cluster.redisUrl,
        MYCHAT_REDIS_PREFIX: cluster.redisPrefix,
        MYCHAT_JWT_KEY_FILE: path.join(cluster.dir, 'secrets', 'jwt-ed25519.pem'),
      },
      o.users,
      o.groupSize,
      o.pairs,
      o.friends,
    );
    return {
      mode: 'cluster',
      url: cluster.baseUrl,
      gatewayUrls: cluster.gateways.map((g) => g.httpUrl),
      seed,
      pids: () => cluster.processes.flatMap((p) => (p.pid ? [p.pid] : [])),
      gatewayPids: () => cluster.gateways.flatMap((p) => (p.pid ? [p.pid] : [])),
      stop: () => cluster.stop(),
    };
  } catch (err) {
    await cluster.stop();
    throw err;
  }
}

/**
 * CPU seconds and RSS summed over processes (a process that is gone counts as zero), and
 * each process's CPU and main-thread CPU seconds by pid.
 */
export function sumStats(pids: number[]): {
  cpuSeconds: number;
  rssMiB: number;
  /** Bytes written to storage, summed (see ioWriteBytes). */
  writeBytes: number;
  mainThread: Map<number, number>;
  /** Each process's CPU seconds, by pid. */
  cpu: Map<number, number>;
} {
  let total = 0;
  let rss = 0;
  let written = 0;
  const mainThread = new Map<number, number>();
  const cpu = new Map<number, number>();
  for (const pid of pids) {
    try {
      const s = procStats(pid);
      total += s.cpuSeconds;
      rss += s.rssMiB;
      written += s.writeBytes;
      mainThread.set(pid, s.mainThreadCpuSeconds);
      cpu.set(pid, s.cpuSeconds);
    } catch {
      // exited
    }
  }
  return { cpuSeconds: total, rssMiB: Math.round(rss * 10) / 10, writeBytes: written, mainThread, cpu };
}
