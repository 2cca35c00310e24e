/**
 * `mychat serve --workers=N`: one primary process keeps every module but the gateway (the
 * services, the single SQLite writer, kv, bus) and forks N socket workers (`node:cluster`)
 * that run the gateway on the shared public port, reaching the primary over one link each
 * (primary-links.ts, worker-link.ts). With 1 worker nothing is forked: the process serves
 * alone, exactly as before.
 */
import cluster from 'node:cluster';
import fs from 'node:fs';
import os from 'node:os';
import { createApp, resolveModules } from '../app.js';
import { configSchema } from '../config.schema.js';
import { loadConfig, type ConfigSources } from '../kernel/config.js';
import { createLoggers, type Logger } from '../kernel/logger.js';
import { YOUNG_GENERATION_FLAG } from '../kernel/node-flags.js';
import { MODULES, type ModuleName } from '../modules.js';
import { openPrimaryLinks, type PrimaryLinks } from './primary-links.js';
import { connectUplink, type LinkAddress } from './worker-link.js';
import { Supervisor } from './supervisor.js';

/**
 * The cores this process may use: the CPUs it may run on, fewer when a cgroup CPU quota (a
 * container's `--cpus`, a Kubernetes CPU limit) allows less. Node counts the CPUs alone, so a
 * container limited to 2 CPUs on a 64-core host would otherwise fork 64 workers.
 */
export function usableCores(
  cpus: number = os.availableParallelism(),
  read: (file: string) => string | undefined = readSmallFile,
): number {
  // cgroup v2: "<quota> <period>" or "max <period>"; v1: quota and period in two files.
  const v2 = read('/sys/fs/cgroup/cpu.max')?.trim().split(/\s+/);
  let quota = v2 ? Number(v2[0]) : Number(read('/sys/fs/cgroup/cpu/cpu.cfs_quota_us'));
  let period = v2 ? Number(v2[1]) : Number(read('/sys/fs/cgroup/cpu/cpu.cfs_period_us'));
  if (!(quota > 0) || !(period > 0)) quota = period = 0;
  const limit = quota && period ? Math.max(1, Math.ceil(quota / period)) : cpus;
  return Math.max(1, Math.min(cpus, limit));
}

function readSmallFile(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/**
 * How many socket workers serve `modules`: none to fork (1) unless the process runs the
 * gateway; `auto` is one per usable core when it runs the gateway together with services
 * (the all-in-one), and 1 for a gateway alone (scale those by running more of them).
 */
export function workerCount(
  setting: 'auto' | number,
  modules: readonly string[],
  cores: number = usableCores(),
): number {
  if (!modules.includes('gateway')) return 1;
  if (setting !== 'auto') return setting;
  const services = modules.some((m) => m !== 'gateway' && MODULES[m as ModuleName]?.service === true);
  return services ? Math.max(1, cores) : 1;
}

/**
 * The way `mychat serve` runs when it splits into a primary and socket workers (a function
 * that starts it and returns -1, to keep running), or undefined when one process serves.
 */
export function splitServe(
  targets: readonly string[],
  sources: ConfigSources,
): (() => Promise<number>) | undefined {
  if (cluster.isWorker) return () => runWorker(sources);
  const config = loadConfig(configSchema, sources);
  const modules = resolveModules(targets);
  const count = workerCount(config.server.workers, modules);
  if (count <= 1) return undefined;
  return () => runPrimary(modules, sources, count);
}

const YOUNG = YOUNG_GENERATION_FLAG.split('=')[0]!;
const isYoungFlag = (a: string) => a === YOUNG || a.startsWith(`${YOUNG}=`);

/** Node flags for the workers: the primary's, without the large young generation (as for a gateway process). */
export function workerExecArgv(execArgv: readonly string[]): string[] {
  return execArgv.filter((a) => !isYoungFlag(a));
}

/** NODE_OPTIONS for the workers (the Docker image sets the young generation there), likewise. */
export function workerNodeOptions(options: string | undefined): string | undefined {
  if (!options) return options;
  return options
    .split(/\s+/)
    .filter((a) => a && !isYoungFlag(a))
    .join(' ');
}

async function runPrimary(
  modules: readonly string[],
  sources: ConfigSources,
  count: number,
): Promise<number> {
  const app = createApp({
    targets: modules.filter((m) => m !== 'gateway'),
    config: sources,
    role: { kind: 'primary' },
  });
  const log = app.loggers.root;
  let stopping = false;
  // Set once started; a signal during the start stops what there is.
  const started: { supervisor?: Supervisor; links?: PrimaryLinks } = {};
  const stop = async (signal: string, code: number) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down: draining socket workers, then the services');
    try {
      // Workers drain first (clients told to reconnect) while the services still answer.
      await started.supervisor?.stop(app.config.ws.drainTimeoutMs + 10_000);
      await started.links?.close();
      await app.stop();
    } catch (err) {
      log.error({ err }, 'shutdown failed');
      code = 1;
    }
    process.exit(code);
  };
  process.on('SIGTERM', () => void stop('SIGTERM', 0));
  process.on('SIGINT', () => void stop('SIGINT', 0));
  await app.start();
  const ws = app.config.ws;
  const links = (started.links = await openPrimaryLinks({
    hub: app.value('rpc'),
    kv: app.value('kv'),
    bus: app.value('bus'),
    metrics: app.value('metrics'),
    limits: {
      maxPendingSockets: ws.maxPendingSockets,
      maxPendingSocketsPerIp: ws.maxPendingSocketsPerIp,
      maxSocketsPerSession: ws.maxSocketsPerSession,
      maxSocketsPerUser: ws.maxSocketsPerUser,
    },
    health: () => app.health(),
    logger: log,
  }));
  const supervisor = (started.supervisor = new Supervisor({
    count,
    address: links.address,
    execArgv: workerExecArgv(process.execArgv),
    env: { NODE_OPTIONS: workerNodeOptions(process.env.NODE_OPTIONS) },
    logger: log,
  }));
  try {
    await supervisor.start();
  } catch (err) {
    log.error({ err }, 'socket workers could not start');
    await stop('start failed', 1);
  }
  log.info({ modules: app.runner.order, workers: count }, 'mychat is running');
  return -1;
}

async function runWorker(sources: ConfigSources): Promise<number> {
  const address = await new Promise<LinkAddress>((resolve) => {
    const onMessage = (m: { type?: string; address?: LinkAddress }) => {
      if (m?.type !== 'mychat:link' || !m.address) return;
      process.off('message', onMessage);
      resolve(m.address);
    };
    process.on('message', onMessage);
    // Asked for, not pushed: a message sent before this listener existed would be lost.
    process.send?.({ type: 'mychat:where' });
  });
  const config = loadConfig(configSchema, sources);
  const loggers = createLoggers(config.log);
  const id = cluster.worker!.id;
  const uplink = await connectUplink({ address, id, logger: loggers.root });
  const app = createApp({ targets: ['gateway'], config: sources, role: { kind: 'worker', uplink }, loggers });
  const log: Logger = loggers.root;
  let stopping = false;
  uplink.onClose(() => {
    if (stopping) return;
    // Without its primary a worker can serve nothing: its clients reconnect to a new one.
    log.error({ worker: id }, 'lost the link to the primary; exiting');
    void loggers.flush().finally(() => process.exit(1));
  });
  const stop = () => {
    if (stopping) return;
    stopping = true;
    app.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        log.error({ err }, 'worker shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  try {
    await app.start();
    // Only now: the shared port hands a worker connections as soon as it listens.
    await app.value('http-server').listen();
  } catch (err) {
    // The link and the IPC channel would keep the process up: a worker that cannot start ends.
    stopping = true;
    log.error({ err, worker: id }, 'socket worker could not start');
    await loggers.flush();
    process.exit(1);
  }
  process.send?.({ type: 'mychat:ready' });
  return -1;
}
