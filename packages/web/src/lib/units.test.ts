import { describe, expect, it } from 'vitest';
import { bytes, duration } from './units.js';

describe('units', () => {
  it('sizes files for people', () => {
    expect(bytes(0)).toBe('0 B');
    expect(bytes(1023)).toBe('1023 B');
    expect(bytes(1536)).toBe('1.5 KB');
    expect(bytes(23 * 1024 * 1024)).toBe('23 MB');
    expect(bytes(1.25 * 1024 ** 3)).toBe('1.3 GB');
    expect(bytes(Number.NaN)).toBe('0 B');
  });
  it('shows clip lengths as m:ss', () => {
    expect(duration(0)).toBe('0:00');
    expect(duration(7_400)).toBe('0:07');
    expect(duration(60_000)).toBe('1:00');
    expect(duration(-5)).toBe('0:00');
  });
});
