/**
 * Tiny runs of `npm run bench -- call` through the built entry against a real all-in-one server:
 * they complete and print one well-formed JSON line (the numbers are never asserted). The
 * browser part needs Chromium and the built web app; it is skipped without them.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM } from './call-browser.js';
import { parseCli } from './cli.js';

const run = promisify(execFile);
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const browsers = fs.existsSync(CHROMIUM) && fs.existsSync(path.join(ROOT, 'packages/web/dist/index.html'));

async function bench(args: string[]): Promise<Record<string, unknown>> {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('MYCHAT_')));
  const { stdout } = await run(
    process.execPath,
    [path.join(ROOT, 'packages/bench/dist/main.js'), 'call', ...args],
    {
      env,
      timeout: 170_000,
    },
  );
  const lines = stdout.trim().split('\n');
  expect(lines).toHaveLength(1);
  return JSON.parse(lines[0]!) as Record<string, unknown>;
}

describe('bench call', () => {
  beforeAll(async () => {
    await run('npx', ['tsc', '-b', 'packages/server', 'packages/bench'], { cwd: ROOT, timeout: 120_000 });
  }, 120_000);

  it('parses its options and refuses what it cannot do', () => {
    expect(parseCli(['call'])).toEqual({
      kind: 'call',
      options: { users: 20, calls: 100, browserCalls: 10 },
    });
    expect(parseCli(['call', '--users', '4', '--calls', '8', '--browser-calls', '0'])).toMatchObject({
      options: { users: 4, calls: 8, browserCalls: 0 },
    });
    for (const [argv, message] of [
      [['call', '--users', '5'], '--users must be even'],
      [['call', '--users', '2', '--calls', '1001'], 'at most 1000 per pair'],
      [['call', '--calls', '0'], '--calls must be an integer from 1'],
      [['call', '--browser-calls', 'x'], '--browser-calls must be an integer'],
      [['call', '--cluster'], 'all-in-one server'],
    ] as const) {
      const p = parseCli([...argv]);
      expect(p.kind === 'error' && p.message, argv.join(' ')).toContain(message);
    }
  });

  it('runs the signalling through the SDK at a tiny size', async () => {
    const r = await bench(['--users=4', '--calls=6', '--browser-calls=0']);
    expect(r).toMatchObject({ scenario: 'call', users: 4, pairs: 2, calls: 6, completed: 6, failed: 0 });
    expect(Object.keys(r.signalling_ms as object).sort()).toEqual(
      ['accept', 'hang_up', 'ice', 'offer_answer', 'ring', 'setup', 'start'].sort(),
    );
    expect((r.signalling_ms as { setup: { n: number } }).setup.n).toBe(6);
    expect(typeof r.server_cpu_ms_per_call).toBe('number');
    expect((r.keep_alive as { sent: number }).sent).toBeGreaterThanOrEqual(6);
    expect(r.browser).toEqual({ skipped: '--browser-calls 0' });
  }, 180_000);

  it.skipIf(!browsers)(
    'times calls between two Chromium pages',
    async () => {
      const r = await bench(['--users=2', '--calls=2', '--browser-calls=2']);
      expect(r.browser).toMatchObject({ calls: 2, completed: 2, errors: [] });
      const b = r.browser as Record<string, { n: number; p95: number }>;
      for (const k of ['ring_ms', 'ring_to_first_frame_ms', 'press_to_first_frame_ms'])
        expect(b[k]!.n, k).toBe(2);
    },
    180_000,
  );
});
