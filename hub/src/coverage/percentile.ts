/**
 * Nearest-rank percentile (the smallest value with at least p of the values at or below it):
 * always one of the measured times, so a report never shows a duration nobody waited.
 * `sorted` must be ascending; null for no values.
 */
export function nearestRank(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.max(1, Math.ceil(p * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1] ?? null;
}
