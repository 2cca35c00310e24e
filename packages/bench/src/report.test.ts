import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { latencyOverTime, latencyQuantiles, lineChart, throughput, writeReport } from './report.js';
import type { RunResult } from './result.js';

const samples = Array.from({ length: 300 }, (_, i) => ({ t: i / 100, ms: (i % 100) + 1 }));

describe('charts', () => {
  it('draws one polyline per series, with a legend, inside the view box', () => {
    const svg = lineChart({
      title: 'a <b>',
      xLabel: 'x',
      yLabel: 'y',
      series: [
        {
          name: 'one',
          color: '#f00',
          points: [
            [0, 1],
            [1, 10],
            [2, 100],
          ],
        },
        {
          name: 'two',
          color: '#0f0',
          points: [
            [0, 5],
            [2, 50],
          ],
        },
      ],
      logY: true,
    });
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.trim().endsWith('</svg>')).toBe(true);
    expect(svg).toContain('a &lt;b&gt;');
    expect(svg.match(/<polyline/g)).toHaveLength(2);
    const coords = [...svg.matchAll(/points="([^"]+)"/g)].flatMap((m) =>
      m[1]!.split(' ').map((p) => p.split(',').map(Number)),
    );
    for (const [x, y] of coords) {
      expect(x).toBeGreaterThanOrEqual(0);
      expect(x).toBeLessThanOrEqual(640);
      expect(y).toBeGreaterThanOrEqual(0);
      expect(y).toBeLessThanOrEqual(300);
    }
  });

  it('takes percentiles per second of arrival and over the whole run', () => {
    const t = latencyOverTime(samples);
    expect(t.p50.points).toEqual([
      [0, 50],
      [1, 50],
      [2, 50],
    ]);
    expect(t.p99.points[0]).toEqual([0, 99]);
    expect(t.max.points[2]).toEqual([2, 100]);
    const q = latencyQuantiles(samples);
    expect(q.points[0]).toEqual([0, 1]);
    expect(q.points.at(-1)).toEqual([100, 100]);
  });

  it('draws seconds without sends as zero, not as gaps', () => {
    const sentPerSecond: number[] = [];
    sentPerSecond[2] = 5;
    const [sent] = throughput({ series: { samples: [], sentPerSecond } } as unknown as RunResult);
    expect(sent!.points).toEqual([
      [0, 0],
      [1, 0],
      [2, 5],
    ]);
  });

  it('writes the Markdown report, the JSON and three charts', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-report-'));
    const r: RunResult = {
      scenario: 'chat',
      mode: 'local',
      users: 2,
      rate: 10,
      duration_s: 3,
      payload_bytes: 64,
      sent: 3,
      achieved_rate: 10,
      delivered: 300,
      delivered_per_s: 100,
      latency_ms: { n: 300, p50: 50, p95: 95, p99: 99, max: 100, mean: 50.5 },
      lost: 0,
      duplicated: 0,
      server: { cpu_s: 1, main_thread_cpu_s: 0.8, rss_mib: 100, write_mib: 12.5, processes: 1 },
      generator_cpu_s: 0.5,
      machine: { cpus: 2, load_avg_1m_start: 1, load_avg_1m_end: 1, node: 'v20' },
      extra: { a: 1 },
      series: { samples, sentPerSecond: [1, 1, 1] },
    };
    try {
      const files = writeReport(r, dir);
      expect(files.sort()).toEqual([
        'chat-local-latency-dist.svg',
        'chat-local-latency-time.svg',
        'chat-local-throughput.svg',
        'chat-local.json',
        'chat-local.md',
      ]);
      const md = fs.readFileSync(path.join(dir, 'chat-local.md'), 'utf8');
      expect(md).toContain('| latency p50 / p95 / p99 / max ms | 50 / 95 / 99 / 100 |');
      expect(md).toContain('| server disk writes MiB | 12.5 |');
      expect(md).toContain('![chat-local-throughput.svg](chat-local-throughput.svg)');
      expect(JSON.parse(fs.readFileSync(path.join(dir, 'chat-local.json'), 'utf8'))).not.toHaveProperty(
        'series',
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
