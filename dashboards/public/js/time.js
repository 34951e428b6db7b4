import { lang } from './i18n.js';

const UNITS = [
  ['year', 365 * 24 * 3600e3], ['month', 30 * 24 * 3600e3], ['day', 24 * 3600e3], ['hour', 3600e3], ['minute', 60e3], ['second', 1e3],
];

/** "3 phút trước" / "3 minutes ago"; under ten seconds it says "now". */
export function relative(ms, now = Date.now()) {
  const fmt = new Intl.RelativeTimeFormat(lang(), { numeric: 'auto' });
  const d = ms - now;
  if (Math.abs(d) < 10e3) return fmt.format(0, 'second');
  for (const [unit, size] of UNITS) {
    if (Math.abs(d) >= size || unit === 'second') return fmt.format(Math.round(d / size), unit);
  }
  return '';
}

export function clock(ms) {
  return new Intl.DateTimeFormat(lang() === 'vi' ? 'vi-VN' : 'en-GB', { dateStyle: 'short', timeStyle: 'medium' }).format(new Date(ms));
}

/** Re-renders every <time data-ms> every 20 s so "just now" does not stay "just now". */
export function keepRelativeTimesFresh(root = document) {
  setInterval(() => {
    for (const el of root.querySelectorAll('time[data-ms]')) el.textContent = relative(Number(el.dataset.ms));
  }, 20e3);
}

export function timeEl(ms) {
  const el = document.createElement('time');
  el.dataset.ms = String(ms);
  el.dateTime = new Date(ms).toISOString();
  el.title = clock(ms);
  el.textContent = relative(ms);
  return el;
}
