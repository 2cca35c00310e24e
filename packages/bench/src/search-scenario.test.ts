/**
 * A tiny run of `npm run bench -- search` through the built entry against a real all-in-one
 * server, with a corpus seeded in bulk and one sent: it completes and prints one well-formed
 * JSON line (the numbers are never asserted).
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { runBench } from './bench-run.test-helpers.js';
import { parseCli } from './cli.js';
import { corpusText } from '@mychat/server/bench-corpus';
import { createClusterDatabase } from '@mychat/server/dev/cluster';

const run = promisify(execFile);
/** The local PostgreSQL (the --analyze run needs one). */
const postgresUp = await createClusterDatabase('postgres').then(
  (d) => d.drop().then(() => true),
  () => false,
);
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

describe('bench search', () => {
  beforeAll(async () => {
    await run('npx', ['tsc', '-b', 'packages/server', 'packages/bench'], { cwd: ROOT, timeout: 120_000 });
  }, 120_000);

  it('parses its options and refuses what it cannot do', () => {
    expect(parseCli(['search', '--messages', '50', '--queries', '3'])).toMatchObject({
      kind: 'search',
      options: { messages: 50, queries: 3, users: 20, sql: 'sqlite', seedMessages: 0 },
    });
    expect(parseCli(['search', '--messages', '0', '--seed-messages', '1000000'])).toMatchObject({
      options: { messages: 0, seedMessages: 1_000_000 },
    });
    expect(parseCli(['search', '--seed-messages', '-5'])).toMatchObject({ kind: 'error' });
    expect(parseCli(['search', '--sql', 'oracle'])).toMatchObject({ kind: 'error' });
    expect(parseCli(['search', '--cluster'])).toMatchObject({ kind: 'error' });
    expect(parseCli(['search', '--sql', 'postgres', '--analyze'])).toMatchObject({
      options: { sql: 'postgres', analyze: true },
    });
    expect(parseCli(['search', '--sql', 'postgres'])).toMatchObject({ options: { analyze: false } });
    // Statistics are PostgreSQL's (SQLite's index is never vacuumed by anyone).
    expect(parseCli(['search', '--analyze'])).toMatchObject({ kind: 'error' });
  });

  it('makes mixed Chinese and English text', () => {
    let s = 1;
    const r = () => (s = (s * 48271) % 2147483647) / 2147483647;
    const texts = Array.from({ length: 50 }, () => corpusText(r));
    expect(texts.some((t) => /\p{Script=Han}/u.test(t))).toBe(true);
    expect(texts.some((t) => /[a-z]{4}/.test(t))).toBe(true);
  });

  it('runs end to end at a tiny size', async () => {
    const r = await runBench(
      [
        'search',
        '--messages=200',
        '--seed-messages=300',
        '--queries=3',
        '--duration=1',
        '--rate=20',
        '--users=4',
      ],
      170_000,
    );
    expect(r).toMatchObject({ scenario: 'search', sql: 'sqlite', seeded_messages: 300, messages: 521 });
    for (const k of [
      'load_s',
      'index_catch_up_s',
      'index_build_s',
      'index_build_rate',
      'queries_ms',
      'lag_ms',
      'index_bytes_per_message',
    ])
      expect(r, k).toHaveProperty(k);
    expect(Object.keys(r.queries_ms as object).sort()).toEqual(['cjk1', 'cjk2', 'cjk3', 'en']);
    // One tracked word (every 20th of 20 messages), found by the lag poller.
    expect(r).toMatchObject({ lag_ms: { n: 1 }, lag_search_errors: 0, lag_not_found: 0 });
    expect(r).not.toHaveProperty('vacuum_analyze_s');
  }, 180_000);

  // Skipped without a local PostgreSQL, except in CI (CI=true), where that is a failure.
  it.skipIf(!postgresUp && process.env.CI !== 'true')(
    'analyzes the index on PostgreSQL with --analyze',
    async () => {
      const r = await runBench(
        [
          'search',
          '--sql=postgres',
          '--analyze',
          '--messages=20',
          '--seed-messages=50',
          '--queries=2',
          '--duration=1',
          '--rate=20',
          '--users=4',
        ],
        170_000,
      );
      expect(r).toMatchObject({ scenario: 'search', sql: 'postgres', seeded_messages: 50 });
      expect(r.vacuum_analyze_s).toEqual(expect.any(Number));
    },
    180_000,
  );
});
