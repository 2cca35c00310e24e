import { describe, expect, it } from 'vitest';
import { atLeast, Backoff } from './backoff.js';

describe('Backoff', () => {
  it('doubles the ceiling up to the cap, each delay in [ceiling/2, ceiling]', () => {
    const low = new Backoff({ baseMs: 500, capMs: 30_000, random: () => 0 });
    expect(Array.from({ length: 9 }, () => low.next())).toEqual([
      250, 500, 1000, 2000, 4000, 8000, 15_000, 15_000, 15_000,
    ]);
    const high = new Backoff({ baseMs: 500, capMs: 30_000, random: () => 0.999999 });
    expect(Array.from({ length: 8 }, () => high.next())).toEqual([
      500, 1000, 2000, 4000, 8000, 16_000, 30_000, 30_000,
    ]);
  });

  it('spreads clients out: different random draws give different delays at the same attempt', () => {
    const delays = new Set(Array.from({ length: 50 }, () => new Backoff().next()));
    expect(delays.size).toBeGreaterThan(10);
    for (const d of delays) expect(d >= 250 && d <= 500).toBe(true);
  });

  it('never overflows after many attempts and starts over on reset', () => {
    const b = new Backoff({ random: () => 0.5 });
    for (let i = 0; i < 2000; i++) expect(b.next()).toBeLessThanOrEqual(30_000);
    expect(b.attempts).toBe(2000);
    b.reset();
    expect(b.attempts).toBe(0);
    expect(b.next()).toBe(375);
  });

  it('atLeast waits the server-named time plus up to half again', () => {
    expect(atLeast(1000, () => 0)).toBe(1000);
    expect(atLeast(1000, () => 0.999999)).toBe(1500);
  });
});
