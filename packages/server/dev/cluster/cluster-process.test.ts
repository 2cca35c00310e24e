import { describe, expect, it } from 'vitest';
import { YOUNG_GENERATION_FLAG } from '@mychat/server/kernel/node-flags';
import { ClusterProcess } from './cluster-process.js';

describe('ClusterProcess command line', () => {
  it('starts with the production flags, then the extra ones (profiles), then serve with its targets', () => {
    const p = new ClusterProcess('message', 'message', 1, 2, '/dev/null', {}, [
      '--cpu-prof',
      '--cpu-prof-dir=/p',
    ]);
    const argv = p.argv;
    expect(argv.slice(0, 3)).toEqual([YOUNG_GENERATION_FLAG, '--cpu-prof', '--cpu-prof-dir=/p']);
    expect(argv.at(-3)).toMatch(/main\.js$/);
    expect(argv.slice(-2)).toEqual(['serve', '--target=message']);
  });

  it('a gateway gets no young-generation flag, and no extra flags unless given', () => {
    const g = new ClusterProcess('gateway-1', 'gateway', 1, 0, '/dev/null', {});
    expect(g.argv).toHaveLength(3);
    expect(g.argv.slice(1)).toEqual(['serve', '--target=gateway']);
  });
});
