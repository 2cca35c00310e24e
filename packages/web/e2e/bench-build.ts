import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { WEB_DIST } from './helpers.js';

/** The app built with its developer pages (/dev/scroll), which a production build leaves out. */
export const BENCH_DIST = fileURLToPath(new URL('../dist-bench', import.meta.url));

/**
 * The bench build's folder, made (`npm run build:bench`) when it is missing or older than the
 * production build, so it always shows the same code as the app under test.
 */
export async function benchDist(): Promise<string> {
  const stamp = (dir: string) => {
    try {
      return fs.statSync(path.join(dir, 'index.html')).mtimeMs;
    } catch {
      return 0;
    }
  };
  if (stamp(BENCH_DIST) && stamp(BENCH_DIST) >= stamp(WEB_DIST)) return BENCH_DIST;
  const web = fileURLToPath(new URL('..', import.meta.url));
  await new Promise<void>((resolve, reject) => {
    const child = spawn('npm', ['run', 'build:bench'], { cwd: web, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`npm run build:bench failed (${code}): ${err.slice(-2000)}`)),
    );
  });
  return BENCH_DIST;
}
