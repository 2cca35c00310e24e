import { describe, expect, it } from 'vitest';
import { tenths } from '../../lib/units.js';
import { clampRange, MIN_PART_MS, trimOf } from './video-trim.js';

describe('video trim arithmetic', () => {
  it('writes positions with tenths of a second', () => {
    expect(tenths(0)).toBe('0:00.0');
    expect(tenths(7_460)).toBe('0:07.5');
    expect(tenths(62_000)).toBe('1:02.0');
    expect(tenths(-5)).toBe('0:00.0');
  });

  it('keeps the part inside the clip and at least the server minimum long', () => {
    expect(clampRange({ startMs: -100, endMs: 9_000 }, 4_000, 'end')).toEqual({ startMs: 0, endMs: 4_000 });
    // The start pushed past the end pushes the end along.
    expect(clampRange({ startMs: 2_000, endMs: 2_100 }, 4_000, 'start')).toEqual({
      startMs: 2_000,
      endMs: 2_000 + MIN_PART_MS,
    });
    // The end pulled before the start pushes the start back.
    expect(clampRange({ startMs: 2_000, endMs: 1_000 }, 4_000, 'end')).toEqual({
      startMs: 1_000 - MIN_PART_MS,
      endMs: 1_000,
    });
    // Never past the end of the clip, even from the start handle.
    expect(clampRange({ startMs: 4_000, endMs: 4_000 }, 4_000, 'start')).toEqual({
      startMs: 4_000 - MIN_PART_MS,
      endMs: 4_000,
    });
    // A clip shorter than the minimum is kept whole.
    expect(clampRange({ startMs: 50, endMs: 60 }, 150, 'start')).toEqual({ startMs: 0, endMs: 150 });
  });

  it('asks for no cut when the whole clip is kept', () => {
    expect(trimOf({ startMs: 0, endMs: 4_000 }, 4_000)).toBeUndefined();
    expect(trimOf({ startMs: 30, endMs: 3_980 }, 4_000)).toBeUndefined();
    expect(trimOf({ startMs: 1_000, endMs: 3_000.4 }, 4_000)).toEqual({ startMs: 1_000, endMs: 3_000 });
  });
});
