// The initial-JavaScript budget, checked on every build: everything index.html loads before
// the first route renders (its module script, modulepreloads, the service-worker registration),
// gzipped. Lazily loaded route chunks are not counted. Fails the build above the budget.
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';

export const BUDGET_BYTES = 200 * 1024;

/** { files: [{ file, bytes, gzip }], gzip } for a built dist dir. */
export function initialJs(dist) {
  const html = fs.readFileSync(path.join(dist, 'index.html'), 'utf8');
  const refs = new Set();
  for (const m of html.matchAll(/<script[^>]*\bsrc="([^"]+\.js)"/g)) refs.add(m[1]);
  for (const m of html.matchAll(/<link[^>]*rel="modulepreload"[^>]*href="([^"]+)"/g)) refs.add(m[1]);
  const files = [...refs].map((ref) => {
    const body = fs.readFileSync(path.join(dist, ref.replace(/^\//, '')));
    return { file: ref, bytes: body.length, gzip: zlib.gzipSync(body).length };
  });
  return { files, gzip: files.reduce((n, f) => n + f.gzip, 0) };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const dist = path.join(path.dirname(new URL(import.meta.url).pathname), '..', 'dist');
  const { files, gzip } = initialJs(dist);
  for (const f of files)
    console.log(
      `  ${f.file.padEnd(44)} ${(f.bytes / 1024).toFixed(1).padStart(7)} KB  gzip ${(f.gzip / 1024).toFixed(1).padStart(6)} KB`,
    );
  const line = `initial JS: ${(gzip / 1024).toFixed(1)} KB gzip (budget ${BUDGET_BYTES / 1024} KB)`;
  if (gzip > BUDGET_BYTES) {
    console.error(`${line}: OVER BUDGET`);
    process.exit(1);
  }
  console.log(line);
}
