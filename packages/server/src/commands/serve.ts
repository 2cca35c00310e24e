/** `mychat serve [--target=all]`: run the given modules until SIGTERM or SIGINT. */
import v8 from 'node:v8';
import { createApp } from '../app.js';
import { HEAP_GROWING_FLAG } from '../kernel/node-flags.js';
import type { CommandContext } from './command.js';

/** Starts the modules of `target` (comma-separated names or meta-targets); -1: keep running. */
export async function serveCommand({ sources }: CommandContext, target: string): Promise<number> {
  v8.setFlagsFromString(HEAP_GROWING_FLAG);
  const targets = target
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
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
