import { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { threadNices } from '../../test/helpers/thread-nices.js';
import { niceThisThread } from './thread-nice.js';

describe('niceThisThread', () => {
  let worker: Worker | undefined;
  afterEach(async () => {
    await worker?.terminate();
    worker = undefined;
  });

  // What niceThisThread relies on: os.setPriority(0, n) in a worker thread lowers that thread
  // alone (the search index's thread is checked in search.index-threaded.test.ts).
  it.runIf(process.platform === 'linux')('lowers the calling thread only, not the process', async () => {
    const before = threadNices();
    // The tests may themselves run niced (`nice -n 10 npx vitest`): the thread goes to 19.
    const base = before.get(process.pid)!;
    expect(base).toBeLessThan(19);
    worker = new Worker(
      `const { parentPort } = require('node:worker_threads');
       require('node:os').setPriority(0, 19);
       const stat = require('node:fs').readFileSync('/proc/thread-self/stat', 'utf8');
       parentPort.postMessage(Number(stat.split(' ')[0]));
       setInterval(() => {}, 1000);`,
      { eval: true },
    );
    const tid = await new Promise<number>((resolve, reject) => {
      worker!.once('message', resolve);
      worker!.once('error', reject);
    });
    const after = threadNices();
    expect(after.get(tid)).toBe(19);
    // The process (its main thread) and every thread that ran before keep their priority.
    expect(after.get(process.pid)).toBe(base);
    for (const [t, nice] of before) if (after.has(t)) expect(after.get(t)).toBe(nice);
  });

  it('does nothing off Linux and at 0, and refuses a step out of range', () => {
    expect(niceThisThread(10, 'darwin')).toBeUndefined();
    expect(niceThisThread(0, 'linux')).toBeUndefined();
    expect(() => niceThisThread(40, 'linux')).toThrow(RangeError);
    expect(() => niceThisThread(-1, 'linux')).toThrow(RangeError);
    expect(() => niceThisThread(2.5, 'linux')).toThrow(RangeError);
  });
});
