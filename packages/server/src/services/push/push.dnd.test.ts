import { describe, expect, it } from 'vitest';
import { dndUntil, isTimeZone, localMinute } from './push.dnd.js';
import { DEFAULT_SETTINGS } from './push.repository.js';

describe('do-not-disturb', () => {
  // 2026-01-15 15:30 UTC = 23:30 in Shanghai (UTC+8).
  const t = Date.UTC(2026, 0, 15, 15, 30, 20);
  const s = { ...DEFAULT_SETTINGS, dndEnabled: true, dndStart: 22 * 60, dndEnd: 7 * 60 };

  it('reads the local time of the user’s zone', () => {
    expect(localMinute(t, 'UTC')).toBe(15 * 60 + 30);
    expect(localMinute(t, 'Asia/Shanghai')).toBe(23 * 60 + 30);
    expect(localMinute(t, 'America/New_York')).toBe(10 * 60 + 30);
  });

  it('holds across midnight until the end minute, in the user’s zone', () => {
    expect(dndUntil({ ...s, timeZone: 'Asia/Shanghai' }, t)).toBe(Date.UTC(2026, 0, 15, 23, 0, 0));
    expect(dndUntil({ ...s, timeZone: 'UTC' }, t)).toBeUndefined();
    expect(dndUntil({ ...s, timeZone: 'Asia/Shanghai', dndEnabled: false }, t)).toBeUndefined();
    expect(dndUntil({ ...s, timeZone: 'UTC', dndStart: 15 * 60, dndEnd: 16 * 60 }, t)).toBe(
      Date.UTC(2026, 0, 15, 16, 0),
    );
    expect(dndUntil({ ...s, timeZone: 'UTC', dndStart: 600, dndEnd: 600 }, t)).toBeUndefined();
  });

  it('knows IANA zones', () => {
    expect(isTimeZone('Europe/Berlin')).toBe(true);
    expect(isTimeZone('Mars/Olympus')).toBe(false);
    expect(isTimeZone('')).toBe(false);
  });
});
