/**
 * Call set-up time as people see it: two Chromium pages (fake camera and microphone, the web
 * app this server serves) signed in as a seeded pair of friends make video calls to each other.
 * Everything is timed inside the pages, so the harness's round trips do not count: the caller's
 * press of "Video call", the callee's incoming sheet (the ring; it is answered at once, as if the
 * person tapped Accept that instant), and the first frame each side's remote video presents
 * (requestVideoFrameCallback). Both pages read the same system clock.
 */
import fs from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { chromium, type Page } from 'playwright-core';
import { summarize, type LatencySummary } from './stats.js';
import type { Target } from './target.js';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const WEB_INDEX = fileURLToPath(new URL('../../web/dist/index.html', import.meta.url));

export interface BrowserResult {
  calls: number;
  completed: number;
  errors: string[];
  /** The caller's press to the callee's sheet. */
  ring_ms: LatencySummary;
  /** The ring to the first remote frame on both sides (the later of the two). */
  ring_to_first_frame_ms: LatencySummary;
  /** The ring to the first remote frame on the caller's / the callee's page. */
  caller_first_frame_ms: LatencySummary;
  callee_first_frame_ms: LatencySummary;
  /** The press to the first remote frame on both sides. */
  press_to_first_frame_ms: LatencySummary;
  load_avg_1m_start: number;
  load_avg_1m_end: number;
}

interface Marks {
  ring: number[];
  frame: number[];
}

/**
 * Runs in each page before the app (JavaScript: the bench compiles without the DOM's types):
 * records the ring (and answers it) and each remote video's first presented frame, as epoch ms,
 * in window.__callMarks.
 */
const WATCH_CALLS = `(() => {
  const at = (t = performance.now()) => performance.timeOrigin + t;
  const seen = new WeakSet();
  window.__callMarks = { ring: [], frame: [] };
  new MutationObserver(() => {
    const sheet = document.querySelector('[role="dialog"][aria-label="Incoming video call"]');
    if (sheet && !seen.has(sheet)) {
      seen.add(sheet);
      window.__callMarks.ring.push(at());
      sheet.querySelector('button[aria-label="Accept"]')?.click();
    }
    document.querySelectorAll('video:not([aria-label="You"])').forEach((v) => {
      if (seen.has(v)) return;
      seen.add(v);
      v.requestVideoFrameCallback((now) => window.__callMarks.frame.push(at(now)));
    });
  }).observe(document, { childList: true, subtree: true });
})()`;

const marks = (p: Page) => p.evaluate('window.__callMarks') as Promise<Marks>;
const reset = (p: Page) => p.evaluate('window.__callMarks = { ring: [], frame: [] }, 0');
/** Presses "Video call" inside the page; the time of the press. */
const press = (p: Page) =>
  p.evaluate(`(() => {
    const at = performance.timeOrigin + performance.now();
    document.querySelector('button[aria-label="Video call"]').click();
    return at;
  })()`) as Promise<number>;
// A function, not a string: the app's Content-Security-Policy forbids evaluating strings there.
const framed = (p: Page) =>
  p.waitForFunction(
    () => (globalThis as unknown as { __callMarks: Marks }).__callMarks.frame.length > 0,
    null,
    {
      timeout: 30_000,
    },
  );

async function signIn(page: Page, t: Target, user: number, conversationId: string): Promise<void> {
  const u = t.seed.users[user]!;
  await page.goto(`${t.url}/login`);
  await page.getByLabel('Email').fill(u.email);
  await page.getByLabel('Password', { exact: true }).fill(t.seed.password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByRole('navigation', { name: 'Main navigation' }).waitFor();
  await page.goto(`${t.url}/chat/${conversationId}`);
  await page.getByRole('button', { name: 'Video call' }).waitFor();
}

export async function browserSetup(t: Target, calls: number): Promise<BrowserResult> {
  if (!fs.existsSync(CHROMIUM))
    throw new Error(`no Chromium at ${CHROMIUM}: set CHROMIUM_PATH, or run with --browser-calls 0`);
  if (!fs.existsSync(WEB_INDEX)) throw new Error('the web app is not built (npm run build)');
  const load0 = os.loadavg()[0]!;
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--no-first-run',
      '--disable-background-networking',
      '--use-fake-device-for-media-stream',
      '--use-fake-ui-for-media-stream',
    ],
  });
  const pair = t.seed.pairs[0]!;
  const errors = new Set<string>();
  const r = { ring: [] as number[], both: [] as number[], caller: [] as number[], callee: [] as number[] };
  const fromPress: number[] = [];
  try {
    const pages: Page[] = [];
    for (const user of [pair.a, pair.b]) {
      const context = await browser.newContext({
        viewport: { width: 1000, height: 700 },
        serviceWorkers: 'block',
      });
      await context.addInitScript({ content: WATCH_CALLS });
      const page = await context.newPage();
      await signIn(page, t, user, pair.conversationId);
      pages.push(page);
    }
    for (let i = 0; i < calls; i++) {
      // Caller and callee take turns.
      const [caller, callee] = i % 2 ? [pages[1]!, pages[0]!] : [pages[0]!, pages[1]!];
      try {
        await Promise.all(pages.map(reset));
        const pressed = await press(caller);
        await Promise.all([framed(caller), framed(callee)]);
        const [a, b] = [await marks(caller), await marks(callee)];
        const ring = b.ring[0]!;
        const last = Math.max(a.frame[0]!, b.frame[0]!);
        r.ring.push(ring - pressed);
        r.caller.push(a.frame[0]! - ring);
        r.callee.push(b.frame[0]! - ring);
        r.both.push(last - ring);
        fromPress.push(last - pressed);
      } catch (e) {
        errors.add((e as Error).message.split('\n')[0]!.slice(0, 120));
      }
      await caller
        .getByRole('button', { name: 'Hang up' })
        .click()
        .catch(() => undefined);
      for (const p of pages)
        await p
          .getByRole('dialog', { name: /^Call with/ })
          .waitFor({ state: 'detached', timeout: 15_000 })
          .catch(() => undefined);
      await caller.waitForTimeout(300);
    }
  } finally {
    await browser.close();
  }
  return {
    calls,
    completed: fromPress.length,
    errors: [...errors],
    ring_ms: summarize(r.ring),
    ring_to_first_frame_ms: summarize(r.both),
    caller_first_frame_ms: summarize(r.caller),
    callee_first_frame_ms: summarize(r.callee),
    press_to_first_frame_ms: summarize(fromPress),
    load_avg_1m_start: Math.round(load0 * 100) / 100,
    load_avg_1m_end: Math.round(os.loadavg()[0]! * 100) / 100,
  };
}
