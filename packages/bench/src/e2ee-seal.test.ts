import { describe, expect, it } from 'vitest';
import { measureSeal } from './e2ee-seal.js';

describe('e2ee-seal', () => {
  it('measures sealing a message for every recipient device', async () => {
    const s = await measureSeal({ messages: 20, recipients: 4 });
    expect(s.n).toBe(20);
    expect(s.mean).toBeGreaterThan(0);
  });
});
