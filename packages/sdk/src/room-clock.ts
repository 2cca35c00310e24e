/**
 * The server clock as a client sees it: NTP's four timestamps over the socket's Ping/Pong.
 * t0: the client sent the ping, t1: the server received it, t2: the server sent the pong, t3:
 * the client received it (t0 and t3 on the client's clock, t1 and t2 on the server's).
 * offset = ((t1 - t0) + (t2 - t3)) / 2 and delay = (t3 - t0) - (t2 - t1). The error of an
 * offset is at most half its delay (the asymmetry of the two directions), so the estimate is
 * the offset of the sample with the smallest delay among the last few.
 */
export interface ClockSample {
  offsetMs: number;
  delayMs: number;
  /** When it was taken, client ms. */
  atMs: number;
}

export function sampleOf(t0: number, t1: number, t2: number, t3: number): ClockSample {
  return { offsetMs: (t1 - t0 + (t2 - t3)) / 2, delayMs: Math.max(0, t3 - t0 - (t2 - t1)), atMs: t3 };
}

/** Keeps the last `keep` samples; the estimate is the one with the least delay. */
export class OffsetEstimator {
  private samples: ClockSample[] = [];

  constructor(private readonly keep = 8) {}

  add(s: ClockSample): void {
    this.samples.push(s);
    if (this.samples.length > this.keep) this.samples.shift();
  }

  /** The best sample, or undefined before the first. */
  get best(): ClockSample | undefined {
    let b: ClockSample | undefined;
    for (const s of this.samples) if (!b || s.delayMs < b.delayMs) b = s;
    return b;
  }

  /** Server time minus client time, ms (0 before the first sample). */
  get offsetMs(): number {
    return this.best?.offsetMs ?? 0;
  }

  /** The round trip of the best sample, ms (0 before the first). */
  get rttMs(): number {
    return this.best?.delayMs ?? 0;
  }

  get count(): number {
    return this.samples.length;
  }
}

/** One ping: resolves with the server's receive and send times (t1, t2). */
export type Pinger = (t0: number) => Promise<{ serverRecvMs: number; serverSendMs: number }>;

export interface ServerClockOptions {
  /** The client's clock (default Date.now); tests inject a skewed one. */
  now?: () => number;
  /** Quick pings when started (default 3, 300 ms apart). */
  quickPings?: number;
  quickEveryMs?: number;
  /** Then one per this long (default 30 000 ms). */
  everyMs?: number;
  /** Samples kept (default 8). */
  keep?: number;
}

/**
 * The reusable clock of listen (and later watch) together: quick samples when started, then
 * periodic ones, over whatever carries a ping (the SDK's socket). `serverNow()` is the
 * client's estimate of the server's time.
 */
export class ServerClock {
  readonly estimator: OffsetEstimator;
  readonly now: () => number;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private running = false;

  constructor(
    private readonly ping: Pinger,
    private readonly o: ServerClockOptions = {},
  ) {
    this.now = o.now ?? (() => Date.now());
    this.estimator = new OffsetEstimator(o.keep ?? 8);
  }

  serverNow(): number {
    return this.now() + this.estimator.offsetMs;
  }

  /** The client time at which the server's clock shows `serverMs`. */
  toLocal(serverMs: number): number {
    return serverMs - this.estimator.offsetMs;
  }

  /** Takes one sample; a failed ping is skipped (false). */
  async sample(): Promise<boolean> {
    const t0 = this.now();
    try {
      const r = await this.ping(t0);
      this.estimator.add(sampleOf(t0, r.serverRecvMs, r.serverSendMs, this.now()));
      return true;
    } catch {
      return false;
    }
  }

  /** Quick samples now (resolves after them), then one every `everyMs` until stop(). */
  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    const quick = this.o.quickPings ?? 3;
    for (let i = 0; i < quick && this.running; i++) {
      if (i) await new Promise((r) => setTimeout(r, this.o.quickEveryMs ?? 300));
      await this.sample();
    }
    const loop = () => {
      if (!this.running) return;
      this.timer = setTimeout(() => void this.sample().finally(loop), this.o.everyMs ?? 30_000);
    };
    loop();
  }

  stop(): void {
    this.running = false;
    clearTimeout(this.timer);
  }
}
