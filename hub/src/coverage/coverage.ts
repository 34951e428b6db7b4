import type { CoverageDb } from '../storage/coverage-tables.ts';
import { aggregate, type AreaFigures } from './figures.ts';
import { householdCounts } from './household-counts.ts';
import { targetFor, type CoverageSettings } from './targets.ts';
import { treeAt, type Tree } from './tree-at.ts';
import { VN_OFFSET_MS } from './periods.ts';

export interface CoverageResult {
  at: number;
  tree: Tree;
  figures: Map<string, AreaFigures>;
}

/** Live coverage of every area at `at` (normally now), measured against that year's target. */
export async function computeCoverage(db: CoverageDb, settings: CoverageSettings, at: number): Promise<CoverageResult> {
  const [tree, counts] = await Promise.all([treeAt(db, at), householdCounts(db, at, settings.windowHours * 3600_000)]);
  const year = new Date(at + VN_OFFSET_MS).getUTCFullYear();
  return { at, tree, figures: aggregate(tree, counts, targetFor(settings, year)) };
}
