/** Latency summary of a set of samples, in milliseconds. */
export interface LatencySummary {
  n: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  mean: number;
}

/** Nearest-rank percentiles (no interpolation), rounded to 0.01 ms. */
export function summarize(samples: number[]): LatencySummary {
  const s = [...samples].sort((a, b) => a - b);
  const at = (q: number) => (s.length ? s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)]! : 0);
  const r = (x: number) => Math.round(x * 100) / 100;
  return {
    n: s.length,
    p50: r(at(0.5)),
    p95: r(at(0.95)),
    p99: r(at(0.99)),
    max: r(s.length ? s[s.length - 1]! : 0),
    mean: r(s.length ? s.reduce((a, b) => a + b, 0) / s.length : 0),
  };
}
