/**
 * A run's report: Markdown with the numbers, and three small SVG charts drawn here from the
 * samples (latency over time, latency distribution, throughput). No chart library: a polyline
 * per series on linear or log axes is all these need.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Sample } from './recorder.js';
import type { RunResult } from './result.js';

export interface Series {
  name: string;
  color: string;
  points: [number, number][];
}

const W = 640;
const H = 300;
const M = { l: 60, r: 130, t: 30, b: 40 };

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const fmt = (v: number) =>
  Math.abs(v) >= 1000
    ? `${+(v / 1000).toFixed(1)}k`
    : Math.abs(v) >= 10
      ? `${Math.round(v)}`
      : `${+v.toFixed(2)}`;

/** A line chart as a standalone SVG document. `logY` draws the y axis in powers of ten. */
export function lineChart(o: {
  title: string;
  xLabel: string;
  yLabel: string;
  series: Series[];
  logY?: boolean;
}): string {
  const all = o.series.flatMap((s) => s.points);
  const xs = all.map((p) => p[0]);
  const ys = all.map((p) => p[1]);
  const x0 = Math.min(0, ...xs);
  const x1 = Math.max(x0 + 1, ...xs);
  const ty = (v: number) => (o.logY ? Math.log10(Math.max(v, 0.01)) : v);
  const y0 = o.logY ? Math.floor(Math.min(...ys.map(ty), 0)) : 0;
  const y1 = o.logY ? Math.ceil(Math.max(...ys.map(ty), y0 + 1)) : niceMax(Math.max(1, ...ys));
  const px = (x: number) => M.l + ((x - x0) / (x1 - x0)) * (W - M.l - M.r);
  const py = (y: number) => H - M.b - ((ty(y) - y0) / (y1 - y0)) * (H - M.t - M.b);
  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="11">`,
    `<rect width="${W}" height="${H}" fill="#fff"/>`,
    `<text x="${W / 2 - M.r / 2}" y="18" text-anchor="middle" font-size="13">${esc(o.title)}</text>`,
  );
  const yTicks = o.logY
    ? Array.from({ length: y1 - y0 + 1 }, (_, i) => 10 ** (y0 + i))
    : Array.from({ length: 6 }, (_, i) => (y1 * i) / 5);
  for (const v of yTicks) {
    const y = py(v);
    parts.push(
      `<line x1="${M.l}" x2="${W - M.r}" y1="${y.toFixed(1)}" y2="${y.toFixed(1)}" stroke="#e5e5e5"/>`,
      `<text x="${M.l - 6}" y="${(y + 4).toFixed(1)}" text-anchor="end">${fmt(v)}</text>`,
    );
  }
  for (let i = 0; i <= 5; i++) {
    const v = x0 + ((x1 - x0) * i) / 5;
    parts.push(`<text x="${px(v).toFixed(1)}" y="${H - M.b + 15}" text-anchor="middle">${fmt(v)}</text>`);
  }
  parts.push(
    `<line x1="${M.l}" x2="${W - M.r}" y1="${H - M.b}" y2="${H - M.b}" stroke="#333"/>`,
    `<line x1="${M.l}" x2="${M.l}" y1="${M.t}" y2="${H - M.b}" stroke="#333"/>`,
    `<text x="${(M.l + W - M.r) / 2}" y="${H - 6}" text-anchor="middle">${esc(o.xLabel)}</text>`,
    `<text transform="translate(14 ${(M.t + H - M.b) / 2}) rotate(-90)" text-anchor="middle">${esc(o.yLabel)}</text>`,
  );
  o.series.forEach((s, i) => {
    if (s.points.length) {
      const d = s.points.map((p) => `${px(p[0]).toFixed(1)},${py(p[1]).toFixed(1)}`).join(' ');
      parts.push(`<polyline fill="none" stroke="${s.color}" stroke-width="1.5" points="${d}"/>`);
    }
    const ly = M.t + 10 + i * 16;
    parts.push(
      `<line x1="${W - M.r + 10}" x2="${W - M.r + 28}" y1="${ly}" y2="${ly}" stroke="${s.color}" stroke-width="2"/>`,
      `<text x="${W - M.r + 32}" y="${ly + 4}">${esc(s.name)}</text>`,
    );
  });
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}

function niceMax(v: number): number {
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

/** Per-second percentiles of latency by arrival time. */
export function latencyOverTime(samples: Sample[]): { p50: Series; p99: Series; max: Series } {
  const buckets = new Map<number, number[]>();
  for (const s of samples) {
    const k = Math.floor(s.t);
    let b = buckets.get(k);
    if (!b) buckets.set(k, (b = []));
    b.push(s.ms);
  }
  const p50: [number, number][] = [];
  const p99: [number, number][] = [];
  const max: [number, number][] = [];
  for (const k of [...buckets.keys()].sort((a, b) => a - b)) {
    const v = buckets.get(k)!.sort((a, b) => a - b);
    const at = (q: number) => v[Math.min(v.length - 1, Math.ceil(q * v.length) - 1)]!;
    p50.push([k, at(0.5)]);
    p99.push([k, at(0.99)]);
    max.push([k, v[v.length - 1]!]);
  }
  return {
    p50: { name: 'p50', color: '#1f77b4', points: p50 },
    p99: { name: 'p99', color: '#d62728', points: p99 },
    max: { name: 'max', color: '#999', points: max },
  };
}

/** The latency at each percentile 0-100 (a quantile curve: the distribution without bins). */
export function latencyQuantiles(samples: Sample[]): Series {
  const v = samples.map((s) => s.ms).sort((a, b) => a - b);
  const points: [number, number][] = [];
  if (v.length)
    for (let q = 0; q <= 1000; q += 5)
      points.push([q / 10, v[Math.min(v.length - 1, Math.floor((q / 1000) * v.length))]!]);
  return { name: 'latency', color: '#1f77b4', points };
}

export function throughput(r: RunResult): Series[] {
  // Array.from, not map: a second without sends is a hole in the array, and map skips holes.
  const sent = Array.from(r.series?.sentPerSecond ?? [], (n, i): [number, number] => [i, n ?? 0]);
  const got: number[] = [];
  for (const s of r.series?.samples ?? []) got[Math.floor(s.t)] = (got[Math.floor(s.t)] ?? 0) + 1;
  return [
    { name: 'sent/s', color: '#2ca02c', points: sent },
    {
      name: 'delivered/s',
      color: '#ff7f0e',
      points: Array.from(got, (n, i): [number, number] => [i, n ?? 0]),
    },
  ];
}

export function markdown(r: RunResult, charts: string[]): string {
  const l = r.latency_ms;
  const rows: [string, string][] = [
    ['scenario / mode', `${r.scenario} / ${r.mode}`],
    ['users', String(r.users)],
    ['rate asked / achieved', `${r.rate} / ${r.achieved_rate} per s`],
    ['sent / delivered', `${r.sent} / ${r.delivered}`],
    ['delivered per s', String(r.delivered_per_s)],
    ['latency p50 / p95 / p99 / max ms', `${l.p50} / ${l.p95} / ${l.p99} / ${l.max}`],
    ['lost / duplicated', `${r.lost} / ${r.duplicated}`],
    [
      'server CPU s (busiest main thread) / RSS MiB (processes)',
      `${r.server.cpu_s} (${r.server.main_thread_cpu_s}) / ${r.server.rss_mib} (${r.server.processes})`,
    ],
    ['server disk writes MiB', String(r.server.write_mib)],
    ['generator CPU s', String(r.generator_cpu_s)],
    [
      'machine',
      `${r.machine.cpus} cores, load ${r.machine.load_avg_1m_start} -> ${r.machine.load_avg_1m_end}, Node ${r.machine.node}`,
    ],
    ...Object.entries(r.extra).map(([k, v]): [string, string] => [
      k,
      typeof v === 'string' ? v : JSON.stringify(v),
    ]),
  ];
  return [
    `# bench: ${r.scenario} (${r.mode})`,
    '',
    '| | |',
    '|---|---|',
    ...rows.map(([k, v]) => `| ${k} | ${v.replace(/\|/g, '\\|')} |`),
    '',
    ...charts.map((c) => `![${c}](${c})`),
    '',
  ].join('\n');
}

/** Writes `<scenario>-<mode>.md`, `.json` and the charts into `dir`; returns the file names. */
export function writeReport(r: RunResult, dir: string): string[] {
  fs.mkdirSync(dir, { recursive: true });
  const stem = `${r.scenario}-${r.mode}`;
  const files: Record<string, string> = {};
  const samples = r.series?.samples ?? [];
  if (samples.length) {
    const t = latencyOverTime(samples);
    files[`${stem}-latency-time.svg`] = lineChart({
      title: `${r.scenario}: send-to-receive latency over time`,
      xLabel: 'seconds since start (arrival)',
      yLabel: 'ms (log)',
      series: [t.p50, t.p99, t.max],
      logY: true,
    });
    files[`${stem}-latency-dist.svg`] = lineChart({
      title: `${r.scenario}: latency distribution`,
      xLabel: 'percentile',
      yLabel: 'ms (log)',
      series: [latencyQuantiles(samples)],
      logY: true,
    });
    files[`${stem}-throughput.svg`] = lineChart({
      title: `${r.scenario}: throughput`,
      xLabel: 'seconds since start',
      yLabel: 'per second',
      series: throughput(r),
    });
  }
  const charts = Object.keys(files);
  files[`${stem}.md`] = markdown(r, charts);
  const { series: _s, ...json } = r;
  files[`${stem}.json`] = JSON.stringify(json, null, 2) + '\n';
  for (const [name, body] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), body);
  return Object.keys(files);
}
