/**
 * Encrypt-and-wrap cost of one encrypted-chat message in Chromium (issue 28's budget: <= 2 ms),
 * with the SDK's own compiled code (`@mychat/sdk`'s dist/e2ee-crypto.js, the module the web app
 * bundles) and the browser's native WebCrypto: the same `timeSeal` as e2ee-seal.ts in Node.
 * A page served from 127.0.0.1 (a secure context) imports the module and times the seals inside
 * the page, so the harness's round trips do not count. Headless Chromium, a fresh profile.
 * Then reading a page of 50 kept bodies from IndexedDB (KEPT_READ).
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

/**
 * Reopening a chat's newest page of 50 from the kept bodies (e2ee-cache.ts) in IndexedDB, in the
 * page: a fresh OpenedCache each run (index and local key read, as after a reload), over a store
 * like the web app's IdbKeyStore (packages/web/src/sdk/e2ee-key-store.ts) with `getMany` (one
 * read-only transaction for the page) and without it (one transaction per message, as before).
 * The two are interleaved. JavaScript: the bench compiles without the DOM's types.
 */
const KEPT_READ = (runs: number) => `(async () => {
  const { OpenedCache } = await import('/sdk/e2ee-cache.js');
  const c = await import('/sdk/e2ee-crypto.js');
  const req = (r) => new Promise((ok, no) => { r.onsuccess = () => ok(r.result); r.onerror = () => no(r.error); });
  const done = (tx) => new Promise((ok, no) => { tx.oncomplete = () => ok(); tx.onerror = tx.onabort = () => no(tx.error); });
  const open = indexedDB.open('bench-kept', 1);
  open.onupgradeneeded = () => open.result.createObjectStore('keys');
  const db = await req(open);
  const write = async (set, del) => {
    const tx = db.transaction('keys', 'readwrite');
    for (const k of del) tx.objectStore('keys').delete(k);
    for (const [k, v] of set) tx.objectStore('keys').put(v, k);
    await done(tx);
  };
  const perMessage = {
    holdsCryptoKeys: true,
    get: (k) => req(db.transaction('keys').objectStore('keys').get(k)),
    set: (k, v) => write([[k, v]], []),
    delete: (k) => write([], [k]),
  };
  const oneTransaction = { ...perMessage, update: write, getMany: (keys) => {
    const s = db.transaction('keys').objectStore('keys');
    return Promise.all(keys.map((k) => req(s.get(k))));
  } };
  const sender = { userId: '8', deviceId: 'b'.repeat(32), pair: await c.newPair('X25519') };
  const to = [];
  for (let i = 0; i < 4; i++) {
    const key = await c.importX25519((await c.newPair('X25519')).publicKey);
    to.push({ userId: String(7 + (i % 2)), deviceId: i.toString(16).padStart(32, '0'), key });
  }
  const text = new TextEncoder().encode('x'.repeat(80));
  const list = [];
  for (let seq = 1; seq <= 50; seq++) {
    const sealed = { ...(await c.seal(text, '1', sender, to)), files: [] };
    const m = { conversationId: '1', seq, senderId: '8', createdAt: 1, content: { type: 'encrypted', sealed } };
    list.push({ m, sealed });
  }
  // The reading device: user 7's first (its wrapping is bound to each entry).
  const me = '0'.repeat(32);
  const filler = new OpenedCache(oneTransaction, '7');
  await Promise.all(list.map((x) => filler.put(x.m, x.sealed, text, me)));
  const out = { oneTransaction: [], perMessage: [] };
  for (let r = 0; r < ${runs} + 5; r++)
    for (const [name, store] of [['oneTransaction', oneTransaction], ['perMessage', perMessage]]) {
      const cache = new OpenedCache(store, '7');
      const t = performance.now();
      const got = await cache.getMany(list, me);
      if (got.some((b) => !b)) throw new Error('a kept body did not open');
      if (r >= 5) out[name].push(performance.now() - t);
    }
  db.close();
  return out;
})()`;

export interface BrowserSeal {
  label: string;
  recipients: number;
  cached: boolean;
  ms: LatencySummary;
}

export async function measureSealInChromium(
  messages: number,
  keptRuns = 200,
): Promise<{
  chromium: string;
  runs: BrowserSeal[];
  /** Reading a page of 50 kept bodies from IndexedDB (KEPT_READ). */
  keptRead: Record<'oneTransaction' | 'perMessage', LatencySummary>;
}> {
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
    const kept = (await page.evaluate(KEPT_READ(keptRuns))) as Record<
      'oneTransaction' | 'perMessage',
      number[]
    >;
    return {
      chromium: context.browser()?.version() ?? 'unknown',
      runs,
      keptRead: { oneTransaction: summarize(kept.oneTransaction), perMessage: summarize(kept.perMessage) },
    };
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
  for (const [how, s] of Object.entries(r.keptRead))
    process.stdout.write(
      `50 kept bodies from IndexedDB, ${how}: mean ${s.mean} ms, p50 ${s.p50} ms (n=${s.n})\n`,
    );
}
