import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';
import { LongestFirst } from './scripts/test-order.js';

export default defineConfig({
  resolve: { conditions: ['source'] },
  ssr: { resolve: { conditions: ['source'], externalConditions: ['source'] } },
  test: {
    include: [
      'packages/*/src/**/*.test.ts',
      'packages/server/dev/**/*.test.ts',
      'packages/server/test/**/*.test.ts',
      'packages/web/e2e/**/*.test.ts',
    ],
    // A bound for a hang, not a speed check: tests that wait for browsers, ffmpeg or restarts
    // took 25-30 s under the whole suite on two cores (load 10-20), at the old 30 s bound; a
    // hook starting a server on three engines passed 60 s at load 17-21; two browser tests
    // (the chat screen on a warm cache, 10 000 messages scrolled) took 59-60 s at load 9-13.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Most test files wait on databases, browsers and sockets, not on the CPU: on the 2-core
    // reference machine three files at a time take the suite from ~28 to ~11 minutes (vitest's
    // default is one fewer than the cores, which is one file at a time there).
    maxWorkers: Math.max(3, availableParallelism() - 1),
    // Longest files first, so no long file starts last (scripts/test-order.ts).
    sequence: { sequencer: LongestFirst },
  },
});
