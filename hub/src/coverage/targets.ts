import type { Settings } from '../settings/schema.ts';

export type CoverageSettings = Settings['coverage'];
export type YearTarget = CoverageSettings['targets'][number];

/**
 * The target a period is measured against: the first target year at or after the period's year
 * (in 2023 the district works toward end-2025), the last one once every target year is past.
 */
export function targetFor(settings: CoverageSettings, year: number): YearTarget {
  const sorted = [...settings.targets].sort((a, b) => a.year - b.year);
  const t = sorted.find((x) => x.year >= year) ?? sorted[sorted.length - 1];
  // The schema requires at least one target.
  if (!t) throw new Error('coverage.targets is empty');
  return t;
}

/**
 * Units still needed to reach `percent` of `total` (0 when reached). Strict targets (">50%")
 * need one more than half. Integer arithmetic where it can be: percent may be 7.5.
 */
export function stillNeeded(total: number, done: number, percent: number, strict = false): number {
  const exact = (total * percent) / 100;
  const need = strict ? Math.floor(exact + 1e-9) + 1 : Math.ceil(exact - 1e-9);
  return Math.max(0, Math.min(need, total) - done);
}

/** Share in percent with two decimals; null when there is nothing to divide by. */
export function percentOf(part: number, total: number): number | null {
  return total > 0 ? Math.round((part * 10000) / total) / 100 : null;
}
