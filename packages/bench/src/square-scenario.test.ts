/**
 * A tiny run of `npm run bench -- square` through the built entry against a real all-in-one
 * server: the board is seeded in bulk, readers and writers run, and it prints one well-formed
 * JSON line with no errors (the numbers are never asserted).
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { runBench } from './bench-run.test-helpers.js';

const run = promisify(execFile);
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

describe('bench square', () => {
  beforeAll(async () => {
    await run('npx', ['tsc', '-b', 'packages/server', 'packages/bench'], { cwd: ROOT, timeout: 120_000 });
  }, 120_000);

  it.each(['binary', 'json'])(
    'runs end to end at a tiny size, %s bodies',
    async (codec) => {
      const r = (await runBench(
        [
          'square',
          '--threads=300',
          '--replies=3000',
          '--users=5',
          '--writers=2',
          '--post-rate=4',
          '--think-ms=50',
          '--duration=2',
          `--codec=${codec}`,
        ],
        110_000,
      )) as Record<string, Record<string, unknown>>;
      expect(r).toMatchObject({ scenario: 'square', sql: 'sqlite', codec, threads: 300, replies: 3000 });
      for (const phase of [r.readers_alone!, r.with_writers!]) {
        expect(phase.errors).toBe(0);
        const lat = phase.latency_ms as Record<string, { n: number; p99: number }>;
        expect(lat.list_first!.n).toBeGreaterThan(0);
        expect(lat.thread_first!.n).toBeGreaterThan(0);
        // Cursors are read from the answers in both codecs: later pages were asked for.
        expect(lat.list_next!.n + (lat.thread_next?.n ?? 0)).toBeGreaterThan(0);
        expect(typeof lat.all_reads!.p99).toBe('number');
        // The server's own timing of the reads, as shares over its histogram's bounds.
        const over = phase.reads_over_in_server as Record<string, number>;
        expect(Object.keys(over)).toContain('25ms');
        for (const share of Object.values(over)) expect(share).toBeGreaterThanOrEqual(0);
      }
      expect((r.with_writers!.latency_ms as Record<string, { n: number }>).reply!.n).toBeGreaterThan(0);
    },
    120_000,
  );
});
