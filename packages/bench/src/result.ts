import os from 'node:os';
import type { Sample } from './recorder.js';
import type { LatencySummary } from './stats.js';
import { sumStats, type Mode, type Target } from './target.js';

/** The JSON line every run prints (and the report is drawn from). */
export interface RunResult {
  scenario: string;
  mode: Mode;
  users: number;
  /** The asked send rate, messages/s (0 where nothing is sent at a rate). */
  rate: number;
  duration_s: number;
  payload_bytes: number;
  sent: number;
  /** Sends per second achieved over the sending window. */
  achieved_rate: number;
  delivered: number;
  delivered_per_s: number;
  latency_ms: Pick<LatencySummary, 'p50' | 'p95' | 'p99' | 'max'> & { n: number; mean: number };
  lost: number;
  duplicated: number;
  /**
   * CPU seconds used by every server process during the run, and their summed RSS at the
   * end; `main_thread_cpu_s`: the busiest process's event-loop thread alone (one thread is
   * what saturates first).
   */
  server: {
    cpu_s: number;
    main_thread_cpu_s: number;
    rss_mib: number;
    /** MiB the server processes wrote to storage during the run (/proc/<pid>/io; 0 off Linux). */
    write_mib: number;
    processes: number;
    /**
     * With several processes (socket workers, the cluster): each one's CPU and event-loop
     * CPU seconds, in the target's order (a started all-in-one: the primary first).
     */
    by_process?: { pid: number; cpu_s: number; main_thread_cpu_s: number }[];
  };
  generator_cpu_s: number;
  machine: { cpus: number; load_avg_1m_start: number; load_avg_1m_end: number; node: string };
  /** Scenario-specific numbers. */
  extra: Record<string, unknown>;
  /** Not printed: the raw samples and per-second series the charts are drawn from. */
  series?: { samples: Sample[]; sentPerSecond: number[] };
}

/** Measures server and generator cost around a run. */
export class Meter {
  private readonly server0: ReturnType<typeof sumStats>;
  private readonly gen0 = process.cpuUsage();
  private readonly load0 = os.loadavg()[0]!;
  readonly t0 = performance.now();

  constructor(private readonly target: Target) {
    this.server0 = sumStats(target.pids());
  }

  finish(): Pick<RunResult, 'server' | 'generator_cpu_s' | 'machine'> & { elapsed_s: number } {
    const s = sumStats(this.target.pids());
    const g = process.cpuUsage(this.gen0);
    let mainThread = 0;
    for (const [pid, cpu] of s.mainThread)
      mainThread = Math.max(mainThread, cpu - (this.server0.mainThread.get(pid) ?? 0));
    const byProcess = [...s.cpu].map(([pid, cpu]) => ({
      pid,
      cpu_s: round(cpu - (this.server0.cpu.get(pid) ?? 0)),
      main_thread_cpu_s: round((s.mainThread.get(pid) ?? 0) - (this.server0.mainThread.get(pid) ?? 0)),
    }));
    return {
      elapsed_s: (performance.now() - this.t0) / 1000,
      server: {
        cpu_s: round(s.cpuSeconds - this.server0.cpuSeconds),
        main_thread_cpu_s: round(mainThread),
        rss_mib: s.rssMiB,
        write_mib: round((s.writeBytes - this.server0.writeBytes) / 1048576, 1),
        processes: this.target.pids().length,
        ...(byProcess.length > 1 && { by_process: byProcess }),
      },
      generator_cpu_s: round((g.user + g.system) / 1e6),
      machine: {
        cpus: os.cpus().length,
        load_avg_1m_start: round(this.load0),
        load_avg_1m_end: round(os.loadavg()[0]!),
        node: process.version,
      },
    };
  }
}

export const round = (x: number, d = 2) => Math.round(x * 10 ** d) / 10 ** d;

/** The printed form: one line of JSON, without the raw series. */
export function jsonLine(r: RunResult): string {
  const { series: _series, ...rest } = r;
  return JSON.stringify(rest);
}
