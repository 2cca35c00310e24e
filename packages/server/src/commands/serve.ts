/** `mychat serve [--target=all]`: run the given modules until SIGTERM or SIGINT. */
import { createApp } from '../app.js';
import cluster from 'node:cluster';
import v8 from 'node:v8';
import { HEAP_GROWING_QUIET, HeapTuner } from '../kernel/heap-tuner.js';
import { socketsOnly } from '../kernel/node-flags.js';
import type { CommandContext } from './command.js';

/** Starts the modules of `target` (comma-separated names or meta-targets); -1: keep running. */
export async function serveCommand({ sources }: CommandContext, target: string): Promise<number> {
  const targets = target
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  // The old generation's growth follows the load (kernel/heap-tuner.ts), except where a process
  // only holds sockets (a gateway, a socket worker): there a connect storm would count as load
  // and leave a heap sized for it under every idle socket, so it stays at 1.3x.
  if (socketsOnly(targets) || cluster.isWorker) v8.setFlagsFromString(HEAP_GROWING_QUIET);
  else new HeapTuner().start();
  // --workers=N: a primary and N socket workers (workers/serve-workers.ts).
  const split = (await import('../workers/serve-workers.js')).splitServe(targets, sources);
  if (split) return split();
  const app = createApp({ targets, config: sources });
  const log = app.loggers.root;
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    app.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  await app.start();
  log.info({ modules: app.runner.order }, 'mychat is running');
  return -1; // keep running
}
