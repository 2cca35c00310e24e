import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/** What `npm run test:durations` wrote from a full run's JSON report: file -> seconds. */
const RECORDED = path.join(ROOT, '.ci/test-seconds.json');
/** A file with no recorded time (a new one) is placed as if it took this long. */
const UNKNOWN_S = 20;

function recorded(): Record<string, number> {
  try {
    return JSON.parse(fs.readFileSync(RECORDED, 'utf8')) as Record<string, number>;
  } catch {
    return {};
  }
}

/**
 * Longest files first, browser files spread out. With three files at a time, a long file that starts last stretches the
 * run by its whole length: on a clean clone vitest has no timings of its own and orders by file
 * size, and the bench smoke test (a small file that runs for minutes) used to start near the end.
 * The order is this machine's vitest cache where it has one, else the times recorded from a full
 * run on the reference machine; it changes only when files start, never what they test.
 */
export class LongestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const seconds = recorded();
    const cache = this.ctx.cache;
    const weight = (spec: TestSpecification): number => {
      const file = path.relative(this.ctx.config.root, spec.moduleId).split(path.sep).join('/');
      const cached = cache.getFileTestResults(`${spec.project.name}:${file}`);
      if (cached && !cached.failed && cached.duration > 0) return cached.duration / 1000;
      return seconds[file] ?? UNKNOWN_S;
    };
    const weights = new Map(files.map((f) => [f, weight(f)] as const));
    const byWeight = (list: TestSpecification[]) => list.sort((a, b) => weights.get(b)! - weights.get(a)!);
    const isBrowser = (f: TestSpecification) => BROWSER.test(f.moduleId) || BROWSER_BENCH.test(f.moduleId);
    const browser = byWeight(files.filter(isBrowser));
    const rest = byWeight(files.filter((f) => !isBrowser(f)));
    // A browser file starts only when none of the files started just before it was one: two
    // or three Chromiums at once on two cores starve each other's timers (seen as flaky waits).
    const out: TestSpecification[] = [];
    while (browser.length || rest.length) {
      const recentBrowser = out.slice(-SPREAD).some(isBrowser);
      const takeBrowser =
        browser.length > 0 &&
        (rest.length === 0 || (!recentBrowser && weights.get(browser[0]!)! >= weights.get(rest[0]!)!));
      out.push((takeBrowser ? browser : rest).shift()!);
    }
    return out;
  }
}

/** Files that drive Chromium: the web client's end-to-end tests, and the bench's browser runs. */
const BROWSER = /[\\/]packages[\\/]web[\\/]e2e[\\/]/;
const BROWSER_BENCH = /[\\/]packages[\\/]bench[\\/]src[\\/](e2ee-seal-browser|call-scenario)\.test\.ts$/;
/** How many files after a browser file start before the next browser file may. */
const SPREAD = 2;
