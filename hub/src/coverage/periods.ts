import { KhoaError } from '@khoa/protocol';

/**
 * Report periods as the plans name them: a month (2026-03), a quarter (2026-Q1), a half year
 * (2026-H1, seed 004's 6-month report) or a year (2026). Bounds are local midnights in Vietnam,
 * which has one zone, UTC+7, and no daylight saving, so a fixed offset is exact.
 */
export const VN_OFFSET_MS = 7 * 3600_000;

export type PeriodKind = 'month' | 'quarter' | 'half' | 'year';

export interface Period {
  label: string;
  kind: PeriodKind;
  year: number;
  /** Inclusive start, epoch ms. */
  from: number;
  /** Exclusive end, epoch ms. */
  to: number;
}

const PATTERN = /^(\d{4})(?:-(0[1-9]|1[0-2])|-Q([1-4])|-H([12]))?$/;

/** Epoch ms of local midnight starting month `month0` (0-based, may overflow into next years) of `year`. */
export function localMonthStart(year: number, month0: number): number {
  return Date.UTC(year, month0, 1) - VN_OFFSET_MS;
}

export function parsePeriod(label: string): Period {
  const m = PATTERN.exec(label);
  const year = m ? Number(m[1]) : NaN;
  if (!m || year < 2000 || year > 2100) {
    throw new KhoaError('KHOA_ERR_PAYLOAD_INVALID', `period ${JSON.stringify(label)}: expected YYYY, YYYY-MM, YYYY-Qn or YYYY-Hn`, { field: 'period' });
  }
  const [kind, first, months]: [PeriodKind, number, number] = m[2]
    ? ['month', Number(m[2]) - 1, 1]
    : m[3]
      ? ['quarter', (Number(m[3]) - 1) * 3, 3]
      : m[4]
        ? ['half', (Number(m[4]) - 1) * 6, 6]
        : ['year', 0, 12];
  return { label, kind, year, from: localMonthStart(year, first), to: localMonthStart(year, first + months) };
}

/** The month labels a period spans, e.g. 2026-H1 → 2026-01 … 2026-06 (the trend's x axis). */
export function monthsOf(p: Period): string[] {
  const out: string[] = [];
  for (let t = p.from; t < p.to; ) {
    const d = new Date(t + VN_OFFSET_MS);
    out.push(`${d.getUTCFullYear()}-${String(d.getUTCMonth() + 1).padStart(2, '0')}`);
    t = localMonthStart(d.getUTCFullYear(), d.getUTCMonth() + 1);
  }
  return out;
}

/** Local calendar day of an instant, YYYY-MM-DD. */
export function localDay(t: number): string {
  return new Date(t + VN_OFFSET_MS).toISOString().slice(0, 10);
}

/** A local date YYYY-MM-DD as the epoch ms of its midnight in Vietnam. */
export function parseLocalDate(s: string, field: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s);
  const t = m ? Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) : NaN;
  if (!m || Number.isNaN(t) || new Date(t).toISOString().slice(0, 10) !== s) {
    throw new KhoaError('KHOA_ERR_CONFIG_INVALID', `--${field} must be a date YYYY-MM-DD, got ${JSON.stringify(s)}`, { option: field });
  }
  return t - VN_OFFSET_MS;
}
