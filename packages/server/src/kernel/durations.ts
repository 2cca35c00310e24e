const UNITS: readonly [name: string, seconds: number][] = [
  ['day', 86_400],
  ['hour', 3_600],
  ['minute', 60],
  ['second', 1],
];

/**
 * A length of time for people, in at most its two largest whole units: 2 -> "2 seconds",
 * 90 -> "1 minute 30 seconds", 120 -> "2 minutes", 5400 -> "1 hour 30 minutes". Error
 * messages quote configured windows with it, which are whole seconds and often not whole
 * minutes. Fractions of a second are rounded.
 */
export function formatDuration(seconds: number): string {
  let left = Math.max(0, Math.round(seconds));
  if (left === 0) return '0 seconds';
  const parts: string[] = [];
  for (const [name, size] of UNITS) {
    const n = Math.floor(left / size);
    if (n === 0) {
      if (parts.length) break; // "1 hour 5 seconds" would be more precise than useful
      continue;
    }
    parts.push(`${n} ${name}${n === 1 ? '' : 's'}`);
    left -= n * size;
    if (parts.length === 2) break;
  }
  return parts.join(' ');
}
