import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type Database from 'better-sqlite3';
import type { Logger } from 'pino';

/** How often the background thread looks for WAL frames to copy into the database file, ms. */
const PASS_INTERVAL_MS = 100;
/**
 * WAL frames (pages of 4 KiB) after which the writer takes the last few frames itself, so its
 * next transaction starts the WAL over from the beginning instead of growing it.
 */
const RESTART_FRAMES = 4096;
/** A WAL that grew larger than this in a burst is cut back to it once restarted, bytes. */
const JOURNAL_SIZE_LIMIT = 64 * 1024 * 1024;
/** SQLite's own default, for when the background thread is gone. */
const AUTOCHECKPOINT_PAGES = 1000;

/** What one `wal_checkpoint(PASSIVE)` found: frames in the WAL and frames copied. */
export interface CheckpointPass {
  log: number;
  checkpointed: number;
  /** Set on the answer to a tail request: its number. */
  tail?: number;
}

/** Most the writer waits for the thread's tail checkpoint before it goes on without, ms. */
const TAIL_TIMEOUT_MS = 2_000;

/**
 * The background thread: its own connection to the file and a passive checkpoint every
 * PASS_INTERVAL_MS. Plain JavaScript evaluated by the Worker, so it runs the same from the
 * TypeScript sources (tests) and the build; the driver is resolved by the caller.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.path, { fileMustExist: true });
const checkpoint = () => {
  const [r] = db.pragma('wal_checkpoint(PASSIVE)');
  return { log: r.log, checkpointed: r.checkpointed };
};
const pass = () => {
  const r = checkpoint();
  if (r.log > 0) parentPort.postMessage(r);
};
const timer = setInterval(pass, workerData.intervalMs);
parentPort.on('message', (m) => {
  if (m && typeof m.tail === 'number') return parentPort.postMessage({ ...checkpoint(), tail: m.tail });
  if (m !== 'stop') return;
  clearInterval(timer);
  db.close();
  parentPort.close();
});
`;

/**
 * Moves SQLite's WAL checkpoints off the event loop. By default the connection that commits
 * copies the WAL back into the database file every 1 000 pages, inside that commit: under a
 * steady write load that was a 5-10 ms stall of the only thread every ~100 ms, about 5 % of
 * the server's time, and the cause of its latency spikes. Here the writer never checkpoints
 * on its own (`wal_autocheckpoint = 0`); a worker thread with a second connection copies
 * committed frames in the background (PASSIVE: it never blocks or waits for the writer),
 * and once the WAL is RESTART_FRAMES long the writer pauses between two of its transactions
 * (holding the connection's lock, the event loop free) while the thread copies the frames it
 * has not yet, after which SQLite starts the WAL over at the next commit. Without that last
 * step a WAL written to without pause would never be wholly copied at a moment the writer
 * starts a transaction, and would only grow. That copy ends with an fsync of the database
 * file: on the writer's thread it stalled the event loop for 2-9 ms every 300 ms at 7 500
 * messages per second.
 *
 * If the worker fails, the writer goes back to checkpointing itself, as SQLite does by
 * default.
 */
export class SqliteCheckpointer {
  private readonly worker: Worker;
  private tailPending = false;
  private tailWaiter: { n: number; done: () => void } | undefined;
  private readonly exited: Promise<void>;
  private stopped = false;
  private passes = 0;
  private tails = 0;

  constructor(
    private readonly raw: Database.Database,
    path: string,
    /** Runs `fn` between the writer's transactions (the connection's lock), until it settles. */
    private readonly exclusive: (fn: () => Promise<void>) => Promise<void>,
    private readonly log: Logger,
    private readonly o: { intervalMs?: number; restartFrames?: number } = {},
  ) {
    raw.pragma('wal_autocheckpoint = 0');
    raw.pragma(`journal_size_limit = ${JOURNAL_SIZE_LIMIT}`);
    const driver = createRequire(import.meta.url).resolve('better-sqlite3');
    this.worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { path, driver, intervalMs: o.intervalMs ?? PASS_INTERVAL_MS },
    });
    this.worker.unref();
    this.worker.on('message', (r: CheckpointPass) => this.onPass(r));
    this.worker.on('error', (err) => this.fallBack(err));
    this.exited = new Promise<void>((resolve) =>
      this.worker.once('exit', () => {
        this.endTail();
        resolve();
      }),
    );
  }

  /** Passes the worker reported, and tail checkpoints the writer paused for (tests and logs). */
  get stats(): { passes: number; tails: number } {
    return { passes: this.passes, tails: this.tails };
  }

  private onPass(r: CheckpointPass): void {
    if (r.tail !== undefined) {
      if (r.tail === this.tailWaiter?.n) this.endTail();
      return;
    }
    this.passes++;
    if (this.stopped || this.tailPending || r.log < (this.o.restartFrames ?? RESTART_FRAMES)) return;
    this.tailPending = true;
    void this.exclusive(() => this.tail())
      .catch((err: unknown) => this.log.warn({ err }, 'sqlite tail checkpoint failed'))
      .finally(() => (this.tailPending = false));
  }

  /** Asks the thread for a checkpoint now; settles when it answers (or is gone, or too slow). */
  private tail(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    const n = ++this.tails;
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => this.endTail(), TAIL_TIMEOUT_MS).unref();
      this.tailWaiter = {
        n,
        done: () => {
          clearTimeout(timer);
          resolve();
        },
      };
      this.worker.postMessage({ tail: n });
    });
  }

  private endTail(): void {
    const w = this.tailWaiter;
    this.tailWaiter = undefined;
    w?.done();
  }

  private fallBack(err: unknown): void {
    if (this.stopped) return;
    this.stopped = true;
    this.endTail();
    this.log.warn({ err }, 'sqlite checkpoint thread failed; checkpointing on the writer again');
    try {
      this.raw.pragma(`wal_autocheckpoint = ${AUTOCHECKPOINT_PAGES}`);
    } catch {
      /* the connection is closing */
    }
  }

  /** Stops the worker and waits for it to close its connection. */
  async stop(): Promise<void> {
    if (this.stopped) {
      await this.worker.terminate();
      return;
    }
    this.stopped = true;
    // Unref'd so an idle thread never keeps the process alive; while it closes, it must.
    this.worker.ref();
    this.worker.postMessage('stop');
    await this.exited; // at once if the thread is already gone
  }
}
