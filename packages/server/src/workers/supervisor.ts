import cluster, { type Worker } from 'node:cluster';
import type { Logger } from '../kernel/logger.js';
import type { LinkAddress } from './worker-link.js';

export interface SupervisorOptions {
  count: number;
  address: LinkAddress;
  /** Node flags of the workers. */
  execArgv: string[];
  /** Environment of the workers over the primary's (a value of undefined removes the variable). */
  env?: Record<string, string | undefined>;
  logger: Logger;
  /** Delay before re-forking after the n-th crash in a row (ms); default 100 ms doubling to 5 s. */
  backoffMs?: (crashes: number) => number;
}

/** A crash this long after the previous one counts as a new series (the backoff starts over). */
const CRASH_SERIES_MS = 60_000;

/**
 * Forks the socket workers and keeps them at their number: each gets the link's address on
 * its IPC channel, says when it is ready, and one that dies after the start is replaced
 * (after a backoff while crashes follow each other) while its clients reconnect to the
 * others. A worker that dies before the first start completed fails the start: the same
 * cause (a port in use, a bad file) would kill every replacement too.
 */
export class Supervisor {
  private readonly ready = new Set<number>();
  private stopping = false;
  private started = false;
  private crashes = 0;
  private lastCrash = 0;
  private readonly exits = new Map<number, Promise<void>>();

  constructor(private readonly o: SupervisorOptions) {}

  /** Workers ready now. */
  get readyCount(): number {
    return this.ready.size;
  }

  /** Forks every worker; resolves once all are ready, rejects when one dies first. */
  start(): Promise<void> {
    cluster.setupPrimary({ execArgv: this.o.execArgv });
    return new Promise<void>((resolve, reject) => {
      const onReady = () => {
        if (this.ready.size < this.o.count || this.started) return;
        this.started = true;
        resolve();
      };
      const onEarlyExit = (code: number | null, signal: string | null) => {
        if (this.started || this.stopping) return false;
        reject(new Error(`a socket worker exited while starting (code ${code}, signal ${signal})`));
        return true;
      };
      for (let i = 0; i < this.o.count; i++) this.fork(onReady, onEarlyExit);
    });
  }

  /** Asks every worker to drain and stop; kills those still running after `graceMs`. */
  async stop(graceMs: number): Promise<void> {
    this.stopping = true;
    const workers = Object.values(cluster.workers ?? {}).filter((w): w is Worker => !!w);
    for (const w of workers) if (!w.isDead()) w.process.kill('SIGTERM');
    const all = Promise.all(workers.map((w) => this.exits.get(w.id) ?? Promise.resolve()));
    const timer = setTimeout(() => {
      for (const w of workers) if (!w.isDead()) w.process.kill('SIGKILL');
    }, graceMs);
    await all;
    clearTimeout(timer);
  }

  private fork(
    onReady: () => void,
    onEarlyExit: (code: number | null, signal: string | null) => boolean,
  ): void {
    const w = cluster.fork(this.o.env);
    w.on('message', (m: { type?: string }) => {
      if (m?.type === 'mychat:where') return void w.send({ type: 'mychat:link', address: this.o.address });
      if (m?.type !== 'mychat:ready') return;
      this.ready.add(w.id);
      this.o.logger.debug({ worker: w.id, pid: w.process.pid }, 'socket worker ready');
      onReady();
    });
    this.exits.set(
      w.id,
      new Promise<void>((resolve) =>
        w.once('exit', (code, signal) => {
          this.ready.delete(w.id);
          this.exits.delete(w.id);
          resolve();
          if (this.stopping) return;
          if (onEarlyExit(code, signal)) return;
          this.replace(w, code, signal, onReady, onEarlyExit);
        }),
      ),
    );
  }

  private replace(
    w: Worker,
    code: number | null,
    signal: string | null,
    onReady: () => void,
    onEarlyExit: (code: number | null, signal: string | null) => boolean,
  ): void {
    const now = Date.now();
    this.crashes = now - this.lastCrash > CRASH_SERIES_MS ? 1 : this.crashes + 1;
    this.lastCrash = now;
    const delay = (this.o.backoffMs ?? defaultBackoff)(this.crashes);
    this.o.logger.error(
      { worker: w.id, pid: w.process.pid, code, signal, restart_in_ms: delay },
      'a socket worker died; its clients reconnect to the others, and a new one starts',
    );
    setTimeout(() => {
      if (!this.stopping) this.fork(onReady, onEarlyExit);
    }, delay).unref();
  }
}

const defaultBackoff = (crashes: number) => Math.min(5_000, 100 * 2 ** (crashes - 1));
