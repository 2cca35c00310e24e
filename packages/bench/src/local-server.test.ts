import { describe, expect, it } from 'vitest';
import { serverNodeArgs } from './local-server.js';

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
