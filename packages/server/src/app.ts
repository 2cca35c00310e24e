import { hasFreeSpace } from './kernel/disk-space.js';
import fs from 'node:fs';
import type { DestinationStream } from 'pino';
import { configSchema, type Config } from './config.schema.js';
import { systemClock, type Clock } from './kernel/clock.js';
import { loadConfig, type ConfigSources } from './kernel/config.js';
import { createIdGenerator } from './kernel/ids.js';
import { createLoggers, type Loggers } from './kernel/logger.js';
import { ModuleRunner, resolveTargets } from './kernel/module-graph.js';
import { META_TARGETS, MODULES, type AppContext, type ModuleName, type ModuleValues } from './modules.js';
import type { ProcessRole } from './wiring/module-kit.js';

export interface AppOptions {
  targets?: readonly string[];
  config?: ConfigSources;
  /** Where logs go instead of stdout (tests capture them). */
  logDestination?: DestinationStream;
  clock?: Clock;
  /** The primary or a socket worker of `mychat serve --workers=N`; else the only process. */
  role?: ProcessRole;
  /** Loggers made before the app (a socket worker logs while it connects to its primary). */
  loggers?: Loggers;
}

/** One MyChat process: its config, loggers and the modules its targets resolve to. */
export interface App {
  config: Config;
  loggers: Loggers;
  runner: ModuleRunner<Config>;
  value<N extends ModuleName>(name: N): ModuleValues[N];
  /** Modules not running yet, then those failing their health check (and `disk`); empty when ready. */
  health(): Promise<string[]>;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export function resolveModules(targets: readonly string[]): string[] {
  return resolveTargets(MODULES, META_TARGETS, targets);
}

export function createApp(opts: AppOptions = {}): App {
  const config = loadConfig(configSchema, opts.config ?? { env: process.env });
  const order = resolveModules(opts.targets ?? ['all']);
  const loggers = opts.loggers ?? createLoggers(config.log, opts.logDestination);
  // Messages, keys and uploads live here: nobody but the server's own user may read them.
  fs.mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  const ids = createIdGenerator(config.nodeId);
  const clock = opts.clock ?? systemClock;
  // The context reads the runner only once modules run, after it is assigned below.
  const ref: { runner?: ModuleRunner<Config> } = {};
  const role = opts.role ?? { kind: 'single' };
  const unhealthy = async () => {
    const failing = Object.entries(await ref.runner!.health())
      .filter(([, ok]) => !ok)
      .map(([n]) => n);
    if (!(await hasFreeSpace(config.dataDir, config.disk.minFreeMb * 1024 * 1024))) failing.push('disk');
    // A socket worker is as ready as the primary whose services it forwards to.
    if (role.kind === 'worker') failing.push(...(await role.uplink.health()));
    return [...new Set(failing)];
  };
  const context = (name: string, def: { service?: boolean }): AppContext => ({
    name,
    role,
    config,
    logger: loggers.forModule(name, { ownFile: def.service === true }),
    ids,
    clock,
    modules: order,
    notRunning: () => ref.runner!.notRunning(),
    unhealthy,
  });
  const runner = new ModuleRunner(MODULES, order, context, loggers.root);
  ref.runner = runner;
  return {
    config,
    loggers,
    runner,
    value: (name) => runner.value(name),
    health: async () => {
      const notRunning = runner.notRunning();
      return notRunning.length ? notRunning : unhealthy();
    },
    start: () => runner.start(),
    stop: async () => {
      await runner.stop();
      await loggers.flush();
    },
  };
}
