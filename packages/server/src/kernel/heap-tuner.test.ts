import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import {
  HEAP_GROWING_BUSY,
  HEAP_GROWING_QUIET,
  HeapTuner,
  nextHeapMode,
  QUIET_WINDOWS,
} from './heap-tuner.js';

describe('nextHeapMode', () => {
  it('goes busy at once and quiet only after enough quiet windows', () => {
    expect(nextHeapMode('quiet', 0.5, 0)).toEqual({ mode: 'quiet', quiet: 1 });
    expect(nextHeapMode('quiet', 1, 5)).toEqual({ mode: 'busy', quiet: 0 });
    let s = { mode: 'busy' as const as 'busy' | 'quiet', quiet: 0 };
    for (let i = 1; i < QUIET_WINDOWS; i++) {
      s = nextHeapMode(s.mode, 0, s.quiet);
      expect(s.mode).toBe('busy');
    }
    expect(nextHeapMode(s.mode, 0, s.quiet).mode).toBe('quiet');
  });
});

describe('HeapTuner', () => {
  it('sets V8’s own factor while scavenges are frequent, and 1.3x again once they are not', () => {
    const flags: string[] = [];
    const t = new HeapTuner((f) => flags.push(f));
    t.start();
    t.stop();
    expect(flags).toEqual([HEAP_GROWING_QUIET]);
    for (let i = 0; i < 4; i++) t.scavenged();
    expect(t.tick(2000)).toBe('busy');
    for (let i = 0; i < 4; i++) t.scavenged();
    expect(t.tick(2000)).toBe('busy'); // no flag set again while the mode stays
    for (let i = 0; i < QUIET_WINDOWS; i++) t.tick(2000);
    expect(flags).toEqual([HEAP_GROWING_QUIET, HEAP_GROWING_BUSY, HEAP_GROWING_QUIET]);
  });

  it('uses values this Node’s V8 accepts (an unknown or bad flag is an error on the command line)', () => {
    for (const flag of [HEAP_GROWING_QUIET, HEAP_GROWING_BUSY]) {
      const out = execFileSync(process.execPath, [flag, '-e', 'process.stdout.write("ok")']);
      expect(out.toString()).toBe('ok');
    }
  });
});
