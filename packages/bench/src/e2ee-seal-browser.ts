/**
 * Encrypt-and-wrap cost of one encrypted-chat message in Chromium (issue 28's budget: <= 2 ms),
 * with the SDK's own compiled code (`@mychat/sdk`'s dist/e2ee-crypto.js, the module the web app
 * bundles) and the browser's native WebCrypto: the same `timeSeal` as e2ee-seal.ts in Node.
 * A page served from 127.0.0.1 (a secure context) imports the module and times the seals inside
 * the page, so the harness's round trips do not count. Headless Chromium, a fresh profile.
 * `node packages/bench/dist/e2ee-seal-browser.js [messages]` (CHROMIUM_PATH to use another).
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { CHROMIUM } from './call-browser.js';
import { summarize, type LatencySummary } from './stats.js';

const SDK_DIST = fileURLToPath(new URL('../../sdk/dist/', import.meta.url));
const PAGE = '<!doctype html><meta charset="utf-8"><title>e2ee seal</title>';

/**
 * Cross-origin isolated, so performance.now() has its fine resolution (5 us) in the page rather
 * than the 100 us it is rounded to otherwise.
 */
const ISOLATED = {
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-embedder-policy': 'require-corp',
};

/** Serves the page and the SDK's compiled modules (only .js files directly in its dist). */
function serve(): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const file = /^\/sdk\/([\w.-]+\.js)$/.exec(url.pathname)?.[1];
    if (url.pathname === '/') {
      res.writeHead(200, { ...ISOLATED, 'content-type': 'text/html' }).end(PAGE);
    } else if (file && fs.existsSync(path.join(SDK_DIST, file))) {
      const js = fs.readFileSync(path.join(SDK_DIST, file));
      res.writeHead(200, { ...ISOLATED, 'content-type': 'text/javascript' }).end(js);
    } else res.writeHead(404).end();
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

export interface BrowserSeal {
  label: string;
  recipients: number;
  cached: boolean;
  ms: LatencySummary;
}

export async function measureSealInChromium(
  messages: number,
): Promise<{ chromium: string; runs: BrowserSeal[] }> {
  const server = await serve();
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'mychat-seal-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox'],
  });
  try {
    const page = await context.newPage();
    await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
    if (!(await page.evaluate('crossOriginIsolated')))
      throw new Error('the page is not cross-origin isolated');
    const runs: BrowserSeal[] = [];
    // uncached: both agreements per wrap (the code before the static terms were kept).
    for (const cached of [false, true])
      for (const [label, recipients] of [
        ['2 devices on each side', 4],
        ['2 devices on each side + 2 backup keys', 6],
      ] as const) {
        // A string, not a function: the bench compiles without the DOM's types.
        const samples = (await page.evaluate(
          `import('/sdk/e2ee-crypto.js').then((c) => c.timeSeal(${messages}, ${recipients}, ${cached}))`,
        )) as number[];
        runs.push({ label, recipients, cached, ms: summarize(samples) });
      }
    return { chromium: context.browser()?.version() ?? 'unknown', runs };
  } finally {
    await context.close();
    server.close();
    fs.rmSync(profile, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const r = await measureSealInChromium(Number(process.argv[2] ?? 1000));
  process.stdout.write(`Chromium ${r.chromium}\n`);
  for (const { label, cached, ms: s } of r.runs) {
    const how = cached ? 'static terms cached' : 'uncached';
    process.stdout.write(
      `${label}, ${how}: mean ${s.mean} ms, p50 ${s.p50} ms, p99 ${s.p99} ms (n=${s.n})\n`,
    );
  }
}
