import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { nodeFlagsFor, socketsOnly, YOUNG_GENERATION_FLAG } from './node-flags.js';

describe('nodeFlagsFor', () => {
  it('gives processes that carry messages the larger young generation, gateway-only ones none', () => {
    expect(nodeFlagsFor('all')).toEqual([YOUNG_GENERATION_FLAG]);
    expect(nodeFlagsFor('message')).toEqual([YOUNG_GENERATION_FLAG]);
    expect(nodeFlagsFor('gateway,message')).toEqual([YOUNG_GENERATION_FLAG]);
    expect(nodeFlagsFor('gateway')).toEqual([]);
    expect(nodeFlagsFor(' gateway , gateway')).toEqual([]);
  });

  it('is a flag this Node accepts, and it sets the young generation it names', () => {
    const newSpace = (flags: string[]) =>
      Number(
        execFileSync(process.execPath, [
          ...flags,
          '-e',
          // Allocates with survivors until the young generation has grown as far as it may.
          `const keep = []; for (let i = 0; i < 4e6; i++) { keep.push({ i }); if (keep.length > 3e5) keep.splice(0, 1.5e5); }
           const s = require('v8').getHeapSpaceStatistics().find((x) => x.space_name === 'new_space');
           process.stdout.write(String(s.space_size / 1048576));`,
        ]).toString(),
      );
    expect(newSpace(nodeFlagsFor('all'))).toBeGreaterThan(newSpace([]));
  });
});

describe('socketsOnly', () => {
  it('is true only for processes that serve nothing but the gateway', () => {
    expect(socketsOnly(['gateway'])).toBe(true);
    expect(socketsOnly([' gateway ', 'gateway'])).toBe(true);
    expect(socketsOnly(['gateway', 'auth'])).toBe(false);
    expect(socketsOnly(['all'])).toBe(false);
    expect(socketsOnly([])).toBe(false);
  });
});
