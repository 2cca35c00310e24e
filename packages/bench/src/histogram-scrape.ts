/**
 * A Prometheus histogram read from a server's /metrics text: the cumulative count of each
 * bucket, summed over the series whose labels match. Two readings around a phase give that
 * phase's distribution as the server saw it (beside the client's latencies, which include the
 * wait for a core on a shared machine).
 */
export type Buckets = Map<number, number>;

export function histogramBuckets(text: string, name: string, match: (labels: string) => boolean): Buckets {
  const out: Buckets = new Map();
  const prefix = `${name}_bucket{`;
  for (const line of text.split('\n')) {
    if (!line.startsWith(prefix)) continue;
    const close = line.indexOf('}');
    const labels = line.slice(prefix.length, close);
    if (!match(labels)) continue;
    const le = /(?:^|,)le="([^"]+)"/.exec(labels)?.[1];
    if (le === undefined) continue;
    const bound = le === '+Inf' ? Infinity : Number(le);
    out.set(bound, (out.get(bound) ?? 0) + Number(line.slice(close + 1).trim()));
  }
  return out;
}

/** What share of the observations between two readings took longer than each bucket bound. */
export function sharesOver(before: Buckets, after: Buckets): { n: number; over: Record<string, number> } {
  const n = (after.get(Infinity) ?? 0) - (before.get(Infinity) ?? 0);
  const over: Record<string, number> = {};
  for (const [bound, count] of [...after].sort((a, b) => a[0] - b[0])) {
    if (bound === Infinity) continue;
    const within = count - (before.get(bound) ?? 0);
    over[`${bound * 1000}ms`] = n > 0 ? Math.round(((n - within) / n) * 10_000) / 10_000 : 0;
  }
  return { n, over };
}

export async function readHistogram(
  baseUrl: string,
  name: string,
  match: (labels: string) => boolean,
): Promise<Buckets> {
  const res = await fetch(`${baseUrl}/metrics`, { signal: AbortSignal.timeout(10_000) });
  if (!res.ok) throw new Error(`/metrics: HTTP ${res.status}`);
  return histogramBuckets(await res.text(), name, match);
}
