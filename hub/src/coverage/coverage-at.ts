import type { CoverageDb } from '../storage/coverage-tables.ts';
import { computeCoverage, type CoverageResult } from './coverage.ts';
import type { AreaFigures } from './figures.ts';
import { snapshotBefore } from './snapshots.ts';
import type { CoverageSettings } from './targets.ts';

/** Live figures are used when the instant asked for is this close to now. */
const LIVE_WITHIN_MS = 60_000;

/** Measures live coverage (computeCoverage, or a cache of it: LiveCoverageCache). */
export type LiveCoverage = (now: number, areaIds?: readonly string[]) => Promise<CoverageResult>;

export interface FiguresAt {
  /** When the figures were measured (the snapshot's time, or now). */
  at: number;
  source: 'live' | 'snapshot';
  figures: Map<string, AreaFigures>;
}

/**
 * Coverage of some areas as it was just before `before`: measured now when `before` is now
 * (or later), else read from the daily snapshots taken in [notBefore, before) (cameras only
 * remember their last frame, so the past cannot be recomputed). Areas without a snapshot
 * there are missing from the map: a report says "not recorded" rather than show older figures.
 */
export async function coverageBefore(
  db: CoverageDb, settings: CoverageSettings, areaIds: readonly string[], before: number, now: number, notBefore = 0,
  measure: LiveCoverage = (t) => computeCoverage(db, settings, t),
): Promise<FiguresAt> {
  if (before >= now - LIVE_WITHIN_MS) {
    const live = await measure(now, areaIds);
    return { at: live.at, source: 'live', figures: new Map(areaIds.flatMap((id) => (live.figures.has(id) ? [[id, live.figures.get(id)!] as const] : []))) };
  }
  const figures = new Map<string, AreaFigures>();
  let at = 0;
  for (const id of areaIds) {
    const s = await snapshotBefore(db, id, before, notBefore);
    if (!s) continue;
    const { at: t, ...f } = s;
    at = Math.max(at, t);
    figures.set(id, f);
  }
  return { at, source: 'snapshot', figures };
}
