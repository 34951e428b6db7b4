import { describe, expect, it } from 'vitest';
import { isKhoaError } from '@khoa/protocol';
import { localDay, monthsOf, parsePeriod } from './periods.ts';
import { nearestRank } from './percentile.ts';
import { stillNeeded, targetFor } from './targets.ts';
import { validateSettings } from '../settings/load.ts';

describe('periods, percentiles and targets', () => {
  it('bounds periods at local midnight in Vietnam (UTC+7)', () => {
    expect(parsePeriod('2026-H1')).toEqual({ label: '2026-H1', kind: 'half', year: 2026, from: Date.UTC(2025, 11, 31, 17), to: Date.UTC(2026, 5, 30, 17) });
    expect(parsePeriod('2026-Q4').to).toBe(Date.UTC(2026, 11, 31, 17));
    expect(parsePeriod('2026')).toMatchObject({ kind: 'year', from: Date.UTC(2025, 11, 31, 17) });
    expect(monthsOf(parsePeriod('2026-Q2'))).toEqual(['2026-04', '2026-05', '2026-06']);
    expect(localDay(Date.UTC(2026, 5, 30, 17))).toBe('2026-07-01');
    for (const bad of ['2026-H3', '2026-13', '26', '2026-Q0', '1999', '2026-06-01']) {
      expect(() => parsePeriod(bad)).toThrow(expect.toSatisfy((e) => isKhoaError(e, 'KHOA_ERR_PAYLOAD_INVALID')));
    }
  });

  it('takes nearest-rank percentiles', () => {
    expect(nearestRank([], 0.5)).toBeNull();
    expect(nearestRank([7], 0.9)).toBe(7);
    expect(nearestRank([1, 2, 3, 4], 0.5)).toBe(2);
    expect(nearestRank([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.9)).toBe(9);
  });

  it('counts households still needed, strict targets needing one more than the share', () => {
    expect(stillNeeded(1000, 100, 20)).toBe(100);
    expect(stillNeeded(1000, 500, 50, true)).toBe(1);
    expect(stillNeeded(3, 0, 100, true)).toBe(3);
    expect(stillNeeded(10, 0, 7.5)).toBe(1);
    expect(stillNeeded(0, 0, 50)).toBe(0);
  });

  it('measures each year against the next target year, seed 001 by default', () => {
    const s = validateSettings({}).coverage;
    expect(targetFor(s, 2021).year).toBe(2022);
    expect(targetFor(s, 2022)).toMatchObject({ ruralPercent: 5, urbanPercent: 30 });
    expect(targetFor(s, 2023)).toMatchObject({ year: 2025, ruralPercent: 20, urbanPercent: 50, urbanStrict: true });
    expect(targetFor(s, 2030).year).toBe(2025);
  });
});

describe('scheduled report periods', () => {
  it('names the month, quarter, half year and year that closed last (Vietnam time)', async () => {
    const { lastClosedPeriods } = await import('./scheduled-reports.ts');
    expect(lastClosedPeriods(Date.UTC(2026, 6, 15))).toEqual(['2026-06', '2026-Q2', '2026-H1', '2025']);
    // 1 January 2026 00:30 in Vietnam is still 31 December 2025 in UTC.
    expect(lastClosedPeriods(Date.UTC(2025, 11, 31, 17, 30))).toEqual(['2025-12', '2025-Q4', '2025-H2', '2025']);
    expect(lastClosedPeriods(Date.UTC(2026, 1, 10))).toEqual(['2026-01', '2025-Q4', '2025-H2', '2025']);
  });
});
