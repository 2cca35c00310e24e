import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/**
 * Runs the built bench entry (`node packages/bench/dist/main.js <args>`) as `npm run bench`
 * would, without the caller's MYCHAT_* settings (the bench sets the server's own), and
 * returns the one JSON line it prints.
 */
export async function runBench(args: readonly string[], timeoutMs: number): Promise<Record<string, unknown>> {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('MYCHAT_')));
  const { stdout } = await run(process.execPath, [path.join(ROOT, 'packages/bench/dist/main.js'), ...args], {
    env,
    timeout: timeoutMs,
  });
  return JSON.parse(stdout.trim()) as Record<string, unknown>;
}
