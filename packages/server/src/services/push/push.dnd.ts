import type { SettingsRow } from './push.repository.js';

const formats = new Map<string, Intl.DateTimeFormat>();

/** Whether `tz` is an IANA time zone this runtime knows. */
export function isTimeZone(tz: string): boolean {
  if (!tz || tz.length > 64) return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** Minutes after local midnight in `tz` at `nowMs`. */
export function localMinute(nowMs: number, tz: string): number {
  let f = formats.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: tz,
      hour: 'numeric',
      minute: 'numeric',
      hourCycle: 'h23',
    });
    if (formats.size > 500) formats.clear();
    formats.set(tz, f);
  }
  let h = 0;
  let m = 0;
  for (const p of f.formatToParts(nowMs)) {
    if (p.type === 'hour') h = Number(p.value);
    else if (p.type === 'minute') m = Number(p.value);
  }
  return h * 60 + m;
}

/**
 * When do-not-disturb ends, epoch ms, if it is on now; undefined when pushes may leave.
 * The window runs from start (included) to end (excluded), across midnight when start is
 * after end; start equal to end is no window.
 */
export function dndUntil(s: SettingsRow, nowMs: number): number | undefined {
  if (!s.dndEnabled || s.dndStart === s.dndEnd) return undefined;
  const now = localMinute(nowMs, s.timeZone);
  const inside =
    s.dndStart < s.dndEnd ? now >= s.dndStart && now < s.dndEnd : now >= s.dndStart || now < s.dndEnd;
  if (!inside) return undefined;
  const minutes = (s.dndEnd - now + 1440) % 1440;
  // To the start of the end minute (seconds of the current minute taken off).
  return nowMs - (nowMs % 60_000) + minutes * 60_000;
}
