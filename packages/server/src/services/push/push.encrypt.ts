import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import webpush from 'web-push';
import type { Logger } from '../../kernel/logger.js';

/** A subscription's keys and endpoint, as web-push takes them. */
export interface EncryptTarget {
  endpoint: string;
  keys: { p256dh: string; auth: string };
}

/** web-push's options for one push (TTL, urgency, topic, aes128gcm). */
export type EncryptOptions = Record<string, string | number>;

/** One encrypted push: the headers web-push made (without Authorization) and the body. */
export interface Encrypted {
  headers: Record<string, string | number>;
  body: Uint8Array | null;
}

/** Encrypts pushes (RFC 8291 aes128gcm): on the event loop, or on a thread of its own. */
export interface PushEncrypter {
  encrypt(target: EncryptTarget, payload: string, options: EncryptOptions): Promise<Encrypted>;
  close(): Promise<void>;
}

/** On the event loop: what a process with one core, or `push.encryptThreads=0`, uses. */
export class InlineEncrypter implements PushEncrypter {
  encrypt(target: EncryptTarget, payload: string, options: EncryptOptions): Promise<Encrypted> {
    try {
      return Promise.resolve(inline(target, payload, options));
    } catch (err) {
      return Promise.reject(err as Error);
    }
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

function inline(target: EncryptTarget, payload: string, options: EncryptOptions): Encrypted {
  const d = webpush.generateRequestDetails(target, payload, options);
  return { headers: d.headers as Encrypted['headers'], body: (d.body as Uint8Array | null) ?? null };
}

/**
 * The thread: web-push's own code, resolved by the caller, over batches of jobs. Plain
 * JavaScript evaluated by the Worker, so it runs the same from the TypeScript sources (tests)
 * and the build (as the SQLite checkpointer's thread does).
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const webpush = require(workerData.webPush);
parentPort.on('message', (jobs) => {
  const out = [];
  const transfer = [];
  for (const j of jobs) {
    try {
      const d = webpush.generateRequestDetails(j.target, j.payload, j.options);
      const body = d.body ? new Uint8Array(d.body) : null;
      if (body) transfer.push(body.buffer);
      out.push({ n: j.n, headers: d.headers, body });
    } catch (err) {
      out.push({ n: j.n, error: String((err && err.message) || err) });
    }
  }
  parentPort.postMessage(out, transfer);
});
`;

interface Job {
  n: number;
  target: EncryptTarget;
  payload: string;
  options: EncryptOptions;
}
type Answer =
  { n: number; headers: Encrypted['headers']; body: Uint8Array | null } | { n: number; error: string };

/**
 * Encrypts on worker threads, so a push fan-out (an ECDH agreement, HKDF and AES-GCM per
 * subscription: ~0.3 ms each, 400 pushes a group message) runs beside the chat instead of
 * inside its event loop. The jobs of one event-loop turn go to a thread as one batch; threads
 * take batches in turn. A thread that fails is replaced by encrypting inline from then on.
 */
export class ThreadEncrypter implements PushEncrypter {
  private readonly workers: Worker[] = [];
  private readonly pending = new Map<
    number,
    { job: Job; ok: (e: Encrypted) => void; fail: (err: Error) => void }
  >();
  private batch: Job[] = [];
  private next = 0;
  private seq = 0;
  private broken = false;
  private readonly fallback = new InlineEncrypter();

  constructor(
    threads: number,
    private readonly logger: Logger,
  ) {
    const webPush = createRequire(import.meta.url).resolve('web-push');
    for (let i = 0; i < threads; i++) {
      const w = new Worker(WORKER_SOURCE, { eval: true, workerData: { webPush } });
      w.unref();
      w.on('message', (answers: Answer[]) => this.onAnswers(answers));
      w.on('error', (err) => this.fail(err));
      this.workers.push(w);
    }
  }

  encrypt(target: EncryptTarget, payload: string, options: EncryptOptions): Promise<Encrypted> {
    if (this.broken) return this.fallback.encrypt(target, payload, options);
    const n = ++this.seq;
    const job = { n, target, payload, options };
    return new Promise<Encrypted>((ok, fail) => {
      this.pending.set(n, { job, ok, fail });
      if (this.batch.length === 0) setImmediate(() => this.flush());
      this.batch.push(job);
    });
  }

  private flush(): void {
    const jobs = this.batch;
    this.batch = [];
    if (jobs.length === 0) return;
    if (this.broken) return this.inlineAll(jobs);
    const w = this.workers[this.next++ % this.workers.length]!;
    w.postMessage(jobs);
  }

  private onAnswers(answers: Answer[]): void {
    for (const a of answers) {
      const p = this.pending.get(a.n);
      if (!p) continue;
      this.pending.delete(a.n);
      if ('error' in a) p.fail(new Error(a.error));
      else p.ok({ headers: a.headers, body: a.body });
    }
  }

  /** A thread died: the jobs it held are encrypted inline, as is everything after. */
  private fail(err: Error): void {
    if (this.broken) return;
    this.logger.error({ err }, 'push encryption thread failed: encrypting inline');
    this.broken = true;
    this.inlineAll([...this.pending.values()].map((p) => p.job));
  }

  private inlineAll(jobs: Job[]): void {
    for (const j of jobs) {
      const p = this.pending.get(j.n);
      if (!p) continue;
      this.pending.delete(j.n);
      this.fallback.encrypt(j.target, j.payload, j.options).then(p.ok, p.fail);
    }
  }

  /** Threads that serve (0 once one failed): for tests. */
  get threads(): number {
    return this.broken ? 0 : this.workers.length;
  }

  async close(): Promise<void> {
    const held = [...this.pending.values()];
    this.broken = true;
    this.pending.clear();
    await Promise.all(this.workers.map((w) => w.terminate()));
    for (const p of held) p.fail(new Error('push sender closed'));
  }
}

/** `push.encryptThreads`: 0 encrypts on the event loop. */
export function pushEncrypter(threads: number, logger: Logger): PushEncrypter {
  return threads > 0 ? new ThreadEncrypter(threads, logger) : new InlineEncrypter();
}
