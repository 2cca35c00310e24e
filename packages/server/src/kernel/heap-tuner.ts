import { constants, PerformanceObserver } from 'node:perf_hooks';
import v8 from 'node:v8';

/**
 * How far V8's old generation may grow after a major GC, set by how busy the process is.
 *
 * Quiet (the default, {@link HEAP_GROWING_QUIET}): 1.3x what survived, so a process holding
 * many idle sockets after a connect storm keeps little more than it needs (docs/operations.md).
 * Busy ({@link HEAP_GROWING_BUSY}, V8's own factor, up to 4x while allocation is fast): under a
 * chat load the server allocates tens of KiB a message and promotes requests in flight, and
 * at 1.3x the old generation is full again within seconds; at 1 900 msg/s that was a major GC
 * every ~3.5 s, and each one a latency spike across every conversation (docs/performance.md).
 *
 * The signal is the rate of scavenges (minor GCs), which is the allocation rate over the young
 * generation's size: busy from {@link BUSY_SCAVENGES_PER_S}, quiet again after
 * {@link QUIET_WINDOWS} windows below it. V8 reads the flag at every GC, so a change applies
 * from the next one.
 */
export const HEAP_GROWING_QUIET = '--heap-growing-percent=30';
/** 0: V8 computes the factor itself (from its GC speed and the mutator's utilization). */
export const HEAP_GROWING_BUSY = '--heap-growing-percent=0';
export const BUSY_SCAVENGES_PER_S = 1;
export const WINDOW_MS = 2000;
export const QUIET_WINDOWS = 3;

export type HeapMode = 'quiet' | 'busy';

/** The mode after a window with `scavengesPerS`, given the quiet windows seen before it. */
export function nextHeapMode(
  mode: HeapMode,
  scavengesPerS: number,
  quietBefore: number,
): { mode: HeapMode; quiet: number } {
  if (scavengesPerS >= BUSY_SCAVENGES_PER_S) return { mode: 'busy', quiet: 0 };
  const quiet = quietBefore + 1;
  return { mode: mode === 'busy' && quiet < QUIET_WINDOWS ? 'busy' : 'quiet', quiet };
}

export class HeapTuner {
  private mode: HeapMode = 'quiet';
  private quiet = 0;
  private scavenges = 0;
  private observer?: PerformanceObserver;
  private timer?: ReturnType<typeof setInterval>;

  constructor(private readonly setFlags: (flag: string) => void = (f) => v8.setFlagsFromString(f)) {}

  /** Sets the quiet factor, then follows the process's scavenges. */
  start(): void {
    this.setFlags(HEAP_GROWING_QUIET);
    this.observer = new PerformanceObserver((list) => {
      for (const e of list.getEntries())
        if ((e as { detail?: { kind?: number } }).detail?.kind === constants.NODE_PERFORMANCE_GC_MINOR)
          this.scavenged();
    });
    this.observer.observe({ entryTypes: ['gc'] });
    this.timer = setInterval(() => this.tick(WINDOW_MS), WINDOW_MS);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.observer?.disconnect();
  }

  /** One scavenge seen (the observer's part; public for tests). */
  scavenged(): void {
    this.scavenges++;
  }

  /** Ends a window of `ms`: switches the factor when the mode changes. */
  tick(ms: number): HeapMode {
    const next = nextHeapMode(this.mode, (this.scavenges * 1000) / ms, this.quiet);
    this.scavenges = 0;
    this.quiet = next.quiet;
    if (next.mode !== this.mode) this.setFlags(next.mode === 'busy' ? HEAP_GROWING_BUSY : HEAP_GROWING_QUIET);
    this.mode = next.mode;
    return this.mode;
  }
}
