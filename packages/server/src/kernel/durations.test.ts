import { describe, expect, it } from 'vitest';
import { formatDuration } from './durations.js';

describe('formatDuration', () => {
  it.each([
    [0, '0 seconds'],
    [1, '1 second'],
    [2, '2 seconds'],
    [59, '59 seconds'],
    [60, '1 minute'],
    [90, '1 minute 30 seconds'],
    [120, '2 minutes'],
    [3_600, '1 hour'],
    [3_660, '1 hour 1 minute'],
    [3_605, '1 hour'],
    [5_400, '1 hour 30 minutes'],
    [86_400, '1 day'],
    [90_000, '1 day 1 hour'],
    [1.6, '2 seconds'],
    [-5, '0 seconds'],
  ])('%s s reads "%s"', (seconds, text) => {
    expect(formatDuration(seconds)).toBe(text);
  });
});
