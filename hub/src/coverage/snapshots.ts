import type { CoverageDb } from '../storage/coverage-tables.ts';
import type { AreaFigures } from './figures.ts';
import type { CoverageResult } from './coverage.ts';
import { localDay } from './periods.ts';

/**
 * Daily coverage of every area, kept so that a month or a closed period is reported as it
 * was (cameras only remember their last frame) and so the trend chart reads a few rows.
 * Re-running on the same day replaces that day's rows.
 */
export async function saveSnapshot(db: CoverageDb, result: CoverageResult): Promise<number> {
  const day = localDay(result.at);
  const rows = [...result.figures.values()].map((f) => ({ area_id: f.areaId, day, at: result.at, figures: JSON.stringify(f) }));
  await db.transaction().execute(async (tx) => {
    await tx.deleteFrom('coverage_snapshots').where('day', '=', day).execute();
    // Bounded batches: SQLite allows at most 32,766 bound parameters per statement.
    for (let i = 0; i < rows.length; i += 500) await tx.insertInto('coverage_snapshots').values(rows.slice(i, i + 500)).execute();
  });
  return rows.length;
}

/** The latest snapshot of an area taken in [notBefore, before) (e.g. within a period), if any. */
export async function snapshotBefore(db: CoverageDb, areaId: string, before: number, notBefore = 0): Promise<(AreaFigures & { at: number }) | undefined> {
  const row = await db
    .selectFrom('coverage_snapshots')
    .select(['at', 'figures'])
    .where('area_id', '=', areaId)
    .where('at', '<', before)
    .where('at', '>=', notBefore)
    .orderBy('at', 'desc')
    .limit(1)
    .executeTakeFirst();
  return row ? { ...(JSON.parse(row.figures) as AreaFigures), at: Number(row.at) } : undefined;
}

