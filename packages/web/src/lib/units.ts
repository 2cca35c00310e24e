/* Sizes and durations for people (no i18n needed: digits and units read the same in en and zh-CN). */

/** A file size for people: "512 B", "1.4 KB", "23 MB", "1.2 GB". */
export function bytes(n: number): string {
  if (!Number.isFinite(n) || n < 1024) return `${Math.max(0, Math.round(n || 0))} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let v = n / 1024;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v < 10 ? v.toFixed(1) : Math.round(v)} ${units[u]}`;
}

/** A clip's length as m:ss ("0:07", "1:00"). */
export function duration(ms: number): string {
  const s = Math.max(0, Math.round((ms || 0) / 1000));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

/** A position in a clip with tenths of a second: "0:07.5", "1:02.0" (trimming a video). */
export function tenths(ms: number): string {
  const d = Math.max(0, Math.round(ms / 100));
  const s = Math.floor(d / 10);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}.${d % 10}`;
}
