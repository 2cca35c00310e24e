/** Tuning for {@link Backoff}. */
export interface BackoffOptions {
  /** The first delay's ceiling, ms. Default 500. */
  baseMs?: number;
  /** No delay exceeds this, ms. Default 30 000. */
  capMs?: number;
  /** Random number in [0, 1) (injectable for tests). Default Math.random. */
  random?: () => number;
}

/**
 * Jittered exponential backoff ("full jitter"): attempt n waits a random time in
 * [ceiling / 2, ceiling] where ceiling = min(cap, base * 2^n). The lower half-bound keeps a
 * crowd of clients from retrying at once while still spreading them out after a server restart.
 */
export class Backoff {
  private attempt = 0;
  private readonly baseMs: number;
  private readonly capMs: number;
  private readonly random: () => number;

  constructor(opts: BackoffOptions = {}) {
    this.baseMs = opts.baseMs ?? 500;
    this.capMs = opts.capMs ?? 30_000;
    this.random = opts.random ?? Math.random;
  }

  /** How many delays were handed out since the last reset. */
  get attempts(): number {
    return this.attempt;
  }

  /** The next delay, ms; each call grows the ceiling until the cap. */
  next(): number {
    const ceiling = Math.min(this.capMs, this.baseMs * 2 ** Math.min(this.attempt, 30));
    this.attempt++;
    return Math.round(ceiling / 2 + (this.random() * ceiling) / 2);
  }

  /** Back to the first delay (after a connection that stayed up). */
  reset(): void {
    this.attempt = 0;
  }
}

/**
 * At least `ms`, plus up to half again at random: for waits the server names
 * (reconnect{afterMs}, retryAfterSeconds), so its clients do not all come back at once.
 */
export function atLeast(ms: number, random: () => number = Math.random): number {
  return Math.max(0, Math.round(ms + random() * ms * 0.5));
}

/** Resolves after `ms`; rejects early with the signal's reason when it aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal!.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
