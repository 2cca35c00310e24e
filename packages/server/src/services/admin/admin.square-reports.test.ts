import { describe, expect, it } from 'vitest';
import { createIdGenerator, idTime } from '../../kernel/ids.js';
import { HOLD_BACK_MS, readFrom } from './admin.square-reports.js';

describe("the console's catch-up with the square's reports", () => {
  it('reads again from a minute before its cursor, so a report committed late is not skipped', () => {
    let now = Date.UTC(2026, 5, 1, 12);
    const ids = createIdGenerator(7, () => now);
    const early = ids.next();
    now += HOLD_BACK_MS / 2;
    const cursor = ids.next();
    const from = readFrom(cursor);
    expect(BigInt(from)).toBeLessThan(BigInt(early));
    expect(idTime(from)).toBe(idTime(cursor) - HOLD_BACK_MS);
    now += HOLD_BACK_MS * 2;
    expect(BigInt(ids.next())).toBeGreaterThan(BigInt(from));
  });

  it('starts at the beginning with no cursor, or one younger than the hold-back', () => {
    expect(readFrom('')).toBe('');
    expect(readFrom('1')).toBe('');
  });
});
