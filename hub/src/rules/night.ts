const DAY_MS = 86_400_000;
const formatters = new Map<string, Intl.DateTimeFormat>();

function localMsOfDay(now: number, timeZone: string): number {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-GB', { timeZone, hourCycle: 'h23', hour: '2-digit', minute: '2-digit', second: '2-digit' });
    formatters.set(timeZone, f);
  }
  const part = (type: string) => Number(f.formatToParts(now).find((p) => p.type === type)?.value ?? 0);
  return ((part('hour') * 60 + part('minute')) * 60 + part('second')) * 1000 + (now % 1000);
}

const minutesOf = (hhmm: string) => {
  const [h, m] = hhmm.split(':').map(Number);
  return (h ?? 0) * 60 + (m ?? 0);
};

/**
 * If `now` falls in the household's night (local "HH:MM" to "HH:MM", possibly across
 * midnight, in its time zone), the instant that night began; otherwise null. Works on the
 * local clock reading, so a zone with daylight saving could be an hour off on the switch
 * night; Vietnam has none.
 */
export function nightStartedAt(now: number, nightStart: string, nightEnd: string, timeZone: string): number | null {
  const start = minutesOf(nightStart) * 60_000;
  const length = (minutesOf(nightEnd) * 60_000 - start + DAY_MS) % DAY_MS;
  if (length === 0) return null;
  const sinceStart = (localMsOfDay(now, timeZone) - start + DAY_MS) % DAY_MS;
  return sinceStart < length ? now - sinceStart : null;
}
