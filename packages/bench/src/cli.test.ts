import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parseCli } from './cli.js';

const run = promisify(execFile);
const MAIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../dist/main.js');

describe('parseCli', () => {
  it('reads a scenario with its options and picks the target', () => {
    const p = parseCli(['chat', '--users', '1000', '--rate', '5000', '--duration', '30', '--payload', '200']);
    expect(p).toMatchObject({
      kind: 'run',
      options: { scenario: 'chat', mode: 'local', users: 1000, rate: 5000, durationS: 30, payload: 200 },
    });
    expect(parseCli(['idle', '--cluster'])).toMatchObject({ options: { mode: 'cluster', warmupS: 0 } });
    expect(parseCli(['chat', '--warmup', '5'])).toMatchObject({ options: { warmupS: 5 } });
    expect(
      parseCli(['group', '--url', 'http://10.0.0.5:8080', '--seed', 's.json', '--server-pids', '12,13']),
    ).toMatchObject({ options: { mode: 'url', url: 'http://10.0.0.5:8080', serverPids: [12, 13] } });
    expect(parseCli(['chat', '--client', 'sdk'])).toMatchObject({ kind: 'legacy', scenario: 'chat-sdk' });
    expect(parseCli(['saturate', '--server-workers', '2'])).toMatchObject({ options: { serverWorkers: 2 } });
    expect(parseCli(['saturate'])).toMatchObject({ options: { stepPercent: 50 } });
    expect(parseCli(['saturate', '--step-percent', '10'])).toMatchObject({ options: { stepPercent: 10 } });
    expect(parseCli(['saturate', '--step-percent', '0'])).toMatchObject({ kind: 'error' });
    expect((parseCli(['chat']) as { options: object }).options).not.toHaveProperty('serverWorkers');
    expect(parseCli(['saturate', '--sql', 'postgres'])).toMatchObject({ options: { sql: 'postgres' } });
    expect((parseCli(['saturate']) as { options: object }).options).not.toHaveProperty('sql');
  });

  it("reads the square scenario with its defaults (the issue's board and load)", () => {
    expect(parseCli(['square'])).toEqual({
      kind: 'square',
      options: {
        users: 200,
        writers: 20,
        threads: 100_000,
        replies: 1_000_000,
        durationS: 10,
        thinkMs: 1000,
        postRate: 20,
        codec: 'binary',
      },
    });
    expect(
      parseCli(['square', '--threads', '500', '--replies', '0', '--think-ms', '0', '--codec', 'json']),
    ).toMatchObject({
      options: { threads: 500, replies: 0, thinkMs: 0, codec: 'json' },
    });
  });

  it.each([
    [['nope'], 'unknown scenario "nope"'],
    [[], 'name one scenario'],
    [['chat', 'group'], 'name one scenario'],
    [['chat', '--users', 'ten'], '--users must be an integer'],
    [['chat', '--server-workers', '0'], '--server-workers must be an integer from 1'],
    [['chat', '--cluster', '--server-workers', '2'], '--server-workers is for the all-in-one server'],
    [['saturate', '--sql', 'mysql'], '--sql must be sqlite or postgres'],
    [['chat', '--cluster', '--sql', 'postgres'], '--sql is for the all-in-one server'],
    [['chat', '--users', '1'], '--users must be an integer from 2'],
    [['chat', '--rate=-5'], '--rate must be an integer'],
    [['chat', '--bogus', '1'], "Unknown option '--bogus'"],
    [['chat', '--url', 'http://x:1'], '--url needs --seed'],
    [['chat', '--seed', 'f.json'], '--seed goes with --url'],
    [['chat', '--cluster', '--url', 'http://x:1', '--seed', 'f'], 'exclude each other'],
    [['chat', '--url', 'ftp://x', '--seed', 'f'], 'http(s) base URL'],
    [['group', '--client', 'sdk'], '--client must be lean or sdk'],
    [['chat', '--warmup=-1'], '--warmup must be an integer'],
    [['chat', '--warmup', '9999'], '--warmup must be an integer from 0 to 3600'],
    [['square', '--threads', '0'], '--threads must be an integer from 1'],
    [['square', '--think-ms', 'x'], '--think-ms must be an integer'],
    [['square', '--cluster'], 'square runs on the all-in-one server it starts'],
    [['square', '--codec', 'xml'], '--codec must be binary or json'],
  ])('refuses %j', (argv, message) => {
    const p = parseCli(argv);
    expect(p.kind).toBe('error');
    expect(p.kind === 'error' && p.message).toContain(message);
  });
});

describe('npm run bench with bad input', () => {
  it.each([[['nope']], [['chat', '--users', 'x']], [['chat', '--nope']]])(
    '%j prints the usage and exits with 2',
    async (argv) => {
      const err = await run(process.execPath, [MAIN, ...argv]).then(
        () => undefined,
        (e: { code: number; stderr: string }) => e,
      );
      expect(err?.code).toBe(2);
      expect(err?.stderr).toMatch(/^bench: /);
      expect(err?.stderr).toContain('usage: npm run bench -- <scenario>');
    },
  );
});
