import { i18n } from '../i18n/index.js';

const locale = () => i18n.global.locale.value;
// Building an Intl formatter costs far more than using one: keep them per locale and style.
const formatters = new Map<string, Intl.DateTimeFormat>();
function fmt(options: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  const key = `${locale()}|${JSON.stringify(options)}`;
  let f = formatters.get(key);
  if (!f) formatters.set(key, (f = new Intl.DateTimeFormat(locale(), options)));
  return f;
}
const startOfDay = (ms: number) => {
  const d = new Date(ms);
  d.setHours(0, 0, 0, 0);
  return d.getTime();
};

/** "14:05" */
export function clock(ms: number): string {
  return fmt({ hour: 'numeric', minute: '2-digit' }).format(ms);
}

/** In the chat list: the time today, "Yesterday", the weekday this week, else the date. */
export function shortTime(ms: number, now = Date.now()): string {
  if (!ms) return '';
  const day = startOfDay(now);
  if (ms >= day) return clock(ms);
  if (ms >= day - 86_400_000) return i18n.global.t('chat.yesterday');
  if (ms >= day - 6 * 86_400_000) return fmt({ weekday: 'short' }).format(ms);
  return fmt({ year: '2-digit', month: 'numeric', day: 'numeric' }).format(ms);
}

/** Day separators in a chat: "Today", "Yesterday", or a full date. */
export function dayLabel(ms: number, now = Date.now()): string {
  const day = startOfDay(now);
  if (ms >= day) return i18n.global.t('chat.today');
  if (ms >= day - 86_400_000) return i18n.global.t('chat.yesterday');
  return fmt({ dateStyle: 'medium' }).format(ms);
}

export const dayKey = (ms: number) => startOfDay(ms);

/** "3 min ago", "14:05", or a date: for last-seen and device activity. */
export function relative(ms: number, now = Date.now()): string {
  if (!ms) return '';
  const d = now - ms;
  if (d < 60_000) return i18n.global.t('time.justNow');
  if (d < 3_600_000) return i18n.global.t('time.minutesAgo', { n: Math.floor(d / 60_000) });
  return `${shortTime(ms, now)} ${ms >= startOfDay(now) - 86_400_000 ? '' : clock(ms)}`.trim();
}

export function date(ms: number): string {
  return fmt({ dateStyle: 'medium', timeStyle: 'short' }).format(ms);
}

/** A date and time for lists: "Nov 27, 2026, 14:05". */
export function dateTime(ms: number): string {
  return fmt({ dateStyle: 'medium', timeStyle: 'short' }).format(ms);
}
