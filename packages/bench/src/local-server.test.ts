import { spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { descendantPids, ioWriteBytes, serverNodeArgs } from './local-server.js';
import { sumStats } from './target.js';

describe('serverNodeArgs', () => {
  it('passes the production flags by default, a profile dir and own flags (last, so they win) when asked', () => {
    expect(serverNodeArgs({})).toEqual([]);
    expect(serverNodeArgs({}, ['--max-semi-space-size=64'])).toEqual(['--max-semi-space-size=64']);
    expect(
      serverNodeArgs({ BENCH_SERVER_NODE_ARGS: '--max-semi-space-size=16', BENCH_CPU_PROF: '/p' }, [
        '--max-semi-space-size=64',
      ]),
    ).toEqual(['--max-semi-space-size=64', '--cpu-prof', '--cpu-prof-dir=/p', '--max-semi-space-size=16']);
    expect(serverNodeArgs({ BENCH_CPU_PROF: '/tmp/p' })).toEqual(['--cpu-prof', '--cpu-prof-dir=/tmp/p']);
    expect(serverNodeArgs({ BENCH_SERVER_NODE_ARGS: '  --max-semi-space-size=64   --trace-gc ' })).toEqual([
      '--max-semi-space-size=64',
      '--trace-gc',
    ]);
  });

  it('refuses what is not a flag (it would be taken for the script to run)', () => {
    expect(() => serverNodeArgs({ BENCH_SERVER_NODE_ARGS: '--trace-gc other.js' })).toThrow(
      'other.js is not a flag (give values as --flag=value)',
    );
  });
});

describe.skipIf(process.platform !== 'linux')('the processes of a server', () => {
  it('include the ones it started (socket workers), whose CPU then counts', async () => {
    // A parent that forks a child burning 0.4 s of CPU, as a primary forks its workers.
    const burn =
      'const cpu = () => { const u = process.cpuUsage(); return u.user + u.system; }; ' +
      'while (cpu() < 400000); setTimeout(() => {}, 60000)';
    const parentScript = `require('node:child_process').spawn(process.execPath, ['-e', ${JSON.stringify(burn)}], { stdio: 'ignore' }); setTimeout(() => {}, 60000)`;
    const parent = spawn(process.execPath, ['-e', parentScript], { stdio: 'ignore' });
    try {
      let kids: number[] = [];
      for (let i = 0; i < 100 && kids.length === 0; i++) {
        await sleep(20);
        kids = descendantPids(parent.pid!);
      }
      expect(kids).toHaveLength(1);
      // However busy the machine, the child's share shows up in the sum.
      const extra = () => sumStats([parent.pid!, ...kids]).cpuSeconds - sumStats([parent.pid!]).cpuSeconds;
      for (let i = 0; i < 500 && extra() < 0.35; i++) await sleep(20);
      expect(extra()).toBeGreaterThanOrEqual(0.35);
      const all = sumStats([parent.pid!, ...kids]);
      expect(all.mainThread.size).toBe(2);
      for (const k of kids) process.kill(k);
    } finally {
      parent.kill();
    }
    expect(descendantPids(2 ** 22 + 1)).toEqual([]);
  });
});

describe.skipIf(process.platform !== 'linux')("a process's disk writes", () => {
  it('counts what it wrote to a file on disk, and 0 for a process that is gone', async () => {
    const fs = await import('node:fs');
    const path = await import('node:path');
    const { fileURLToPath } = await import('node:url');
    // Beside the package, on the checkout's disk (a tmpfs /tmp would count nothing).
    const dir = fs.mkdtempSync(path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '.io-'));
    try {
      const before = ioWriteBytes(process.pid);
      const fd = fs.openSync(path.join(dir, 'f'), 'w');
      fs.writeSync(fd, Buffer.alloc(1 << 20, 1));
      fs.fsyncSync(fd);
      fs.closeSync(fd);
      expect(ioWriteBytes(process.pid) - before).toBeGreaterThanOrEqual(1 << 20);
      expect(sumStats([process.pid]).writeBytes).toBeGreaterThanOrEqual(1 << 20);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
    const child = spawn(process.execPath, ['-e', '']);
    await new Promise((r) => child.on('exit', r));
    await sleep(50);
    expect(ioWriteBytes(child.pid!)).toBe(0);
  });
});
