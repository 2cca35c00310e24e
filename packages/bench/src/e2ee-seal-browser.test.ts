import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CHROMIUM } from './call-browser.js';
import { measureSealInChromium } from './e2ee-seal-browser.js';

describe('e2ee-seal-browser', () => {
  it.skipIf(!fs.existsSync(CHROMIUM))(
    'times sealing inside Chromium with the SDK module, for 4 and 6 devices, cached and not',
    async () => {
      const r = await measureSealInChromium(5, 3);
      expect(r.chromium).toMatch(/^\d+\./);
      expect(r.runs.map((x) => [x.recipients, x.cached, x.ms.n])).toEqual([
        [4, false, 5],
        [6, false, 5],
        [4, true, 5],
        [6, true, 5],
      ]);
      for (const x of r.runs) expect(x.ms.mean).toBeGreaterThan(0);
      // The kept bodies read back (the page throws when one does not open), both ways.
      expect([r.keptRead.oneTransaction.n, r.keptRead.perMessage.n]).toEqual([3, 3]);
    },
    60_000,
  );
});
