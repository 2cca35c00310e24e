/**
 * A tiny run of every scenario through the built `npm run bench` entry, against a real
 * all-in-one server (and once against the loopback cluster when PostgreSQL and Redis are
 * there). It checks only that each run completes and prints a well-formed JSON line: the
 * numbers themselves are measured, never asserted.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const MAIN = path.join(ROOT, 'packages/bench/dist/main.js');

beforeAll(async () => {
  await run('npx', ['tsc', '-b', 'packages/server', 'packages/bench'], { cwd: ROOT, timeout: 120_000 });
}, 120_000);

async function bench(args: string[]): Promise<Record<string, unknown>> {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('MYCHAT_')));
  const { stdout } = await run(process.execPath, [MAIN, ...args], { env, timeout: 110_000 });
  const lines = stdout.trim().split('\n');
  expect(lines).toHaveLength(1);
  return JSON.parse(lines[0]!) as Record<string, unknown>;
}

function expectWellFormed(r: Record<string, unknown>, scenario: string, mode: string) {
  expect(r).toMatchObject({ scenario, mode });
  for (const k of [
    'users',
    'rate',
    'sent',
    'achieved_rate',
    'delivered',
    'delivered_per_s',
    'lost',
    'duplicated',
    'generator_cpu_s',
  ])
    expect(typeof r[k], k).toBe('number');
  const lat = r.latency_ms as Record<string, unknown>;
  for (const k of ['p50', 'p95', 'p99', 'max']) expect(typeof lat[k], `latency_ms.${k}`).toBe('number');
  const server = r.server as Record<string, unknown>;
  expect(typeof server.cpu_s).toBe('number');
  // The event-loop thread is one of the process's threads. The two are read from /proc a moment
  // apart and rounded to 0.01 s, so the thread may show a few hundredths more than the process.
  expect(server.main_thread_cpu_s as number).toBeGreaterThanOrEqual(0);
  expect(server.main_thread_cpu_s as number).toBeLessThanOrEqual((server.cpu_s as number) + 0.05);
  expect(server.rss_mib as number).toBeGreaterThan(0);
  expect(server.write_mib as number).toBeGreaterThanOrEqual(0);
  expect(r).not.toHaveProperty('series');
}

const SMALL: [string, string[]][] = [
  ['connect', ['--users', '20']],
  ['chat', ['--users', '10', '--rate', '50', '--duration', '1']],
  ['group', ['--users', '8', '--rate', '20', '--duration', '1']],
  // Warm-up messages are sent but not counted: sent stays what the measured second sent.
  ['chat', ['--users', '10', '--rate', '50', '--duration', '1', '--warmup', '1']],
  ['offline', ['--users', '4', '--messages', '5', '--rate', '100']],
  ['push', ['--users', '8', '--subscribed', '5', '--rate', '2', '--duration', '1']],
  ['idle', ['--users', '20', '--duration', '1']],
  ['idle', ['--users', '20', '--duration', '1', '--workers', '2']],
  // A latency limit no step can miss: both steps run, and the second must not reuse the first's ids.
  ['saturate', ['--users', '6', '--rate', '20', '--duration', '1', '--steps', '2', '--p99-limit', '600000']],
  [
    'moments',
    [
      '--users',
      '12',
      '--friends',
      '4',
      '--post-rate',
      '4',
      '--duration',
      '1',
      '--rate',
      '10',
      '--read-every',
      '1',
    ],
  ],
];

describe('bench scenarios, tiny runs on the all-in-one server', () => {
  it.each(SMALL)(
    '%s completes with a well-formed JSON line',
    async (scenario, args) => {
      const r = await bench([scenario, ...args]);
      expectWellFormed(r, scenario, 'local');
      if (scenario !== 'connect' && scenario !== 'idle') expect(r.sent as number).toBeGreaterThan(0);
      if (scenario === 'idle') expect(r.extra).toMatchObject({ still_open: 20 });
      // Without --server-workers the server is one process (the two-worker count is below).
      expect((r.server as { processes: number }).processes).toBe(1);
      if (scenario === 'push') expect((r.extra as { pushes: number }).pushes).toBeGreaterThan(0);
      if (args.includes('--warmup')) expect(r).toMatchObject({ sent: 50, delivered: 50, lost: 0 });
      if (scenario === 'moments')
        expect(r.extra).toMatchObject({ timeline_pointers_missing: 0, read_errors: 0, publish_errors: 0 });
      if (scenario === 'saturate') {
        // On a loaded machine the first step may miss its rate (a step must reach 95 % of it)
        // and end the run; when it passed, the second step ran and lost nothing either.
        const steps = (r.extra as { steps: { lost: number; good: number; achieved: number }[] }).steps;
        expect(steps[0]).toMatchObject({ lost: 0 });
        if (steps[0]!.good) expect(steps.map((s) => s.lost)).toEqual([0, 0]);
        else expect(steps[0]!.achieved).toBeLessThan(20 * 0.95);
      }
    },
    120_000,
  );

  it("counts the socket workers' processes as the server's (their CPU and memory too)", async () => {
    // One process without workers is checked on every tiny run above.
    const args = ['--users', '10', '--rate', '50', '--duration', '1'];
    const two = await bench(['chat', ...args, '--server-workers', '2']);
    expect((two.server as { processes: number }).processes).toBe(3);
    // Everything sent through the workers arrives (how many a loaded machine sends in the one
    // second varies; the scenario's own count is checked in the --warmup case above).
    expect(two).toMatchObject({ lost: 0, duplicated: 0, delivered: two.sent });
    expect(two.sent as number).toBeGreaterThan(0);
  }, 240_000);

  it('writes the report and charts to --out', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-out-'));
    try {
      await bench(['chat', '--users', '4', '--rate', '20', '--duration', '1', '--out', dir]);
      expect(fs.readdirSync(dir).sort()).toEqual([
        'chat-local-latency-dist.svg',
        'chat-local-latency-time.svg',
        'chat-local-throughput.svg',
        'chat-local.json',
        'chat-local.md',
      ]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});

const reachable = (port: number) =>
  new Promise<boolean>((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });
const backends = (await reachable(5432)) && (await reachable(6379));

describe.skipIf(!backends)('bench on the loopback cluster (PostgreSQL + Redis)', () => {
  it('chat completes with a well-formed JSON line, counting every process', async () => {
    const r = await bench(['chat', '--cluster', '--users', '6', '--rate', '30', '--duration', '1']);
    expectWellFormed(r, 'chat', 'cluster');
    expect((r.server as { processes: number }).processes).toBeGreaterThan(3);
  }, 120_000);
});
