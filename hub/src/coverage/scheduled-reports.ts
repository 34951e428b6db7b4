import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CoverageDb } from '../storage/coverage-tables.ts';
import type { Logger } from '../log.ts';
import { buildReport } from './report.ts';
import { reportCsv } from './report-csv.ts';
import { reportHtml } from './report-html.ts';
import { VN_OFFSET_MS } from './periods.ts';
import type { CoverageSettings } from './targets.ts';

/** The periods that ended last before `now`: last month, quarter, half year and year (seed 004). */
export function lastClosedPeriods(now: number): string[] {
  const d = new Date(now + VN_OFFSET_MS);
  const y = d.getUTCFullYear();
  const m = d.getUTCMonth(); // 0-based: the running month
  const prevMonth = m === 0 ? `${y - 1}-12` : `${y}-${String(m).padStart(2, '0')}`;
  const q = Math.floor(m / 3); // quarters closed this year
  const prevQuarter = q === 0 ? `${y - 1}-Q4` : `${y}-Q${q}`;
  const prevHalf = m < 6 ? `${y - 1}-H2` : `${y}-H1`;
  return [prevMonth, prevQuarter, prevHalf, `${y - 1}`];
}

/**
 * Writes the reports of the periods that just closed, for every root of the area tree, as CSV
 * and printable HTML under `dir/<area>/<period>.{csv,html}`: the "on a schedule" half of
 * issue 7 (PDFs are printed on demand, so a hub without Chromium still keeps its reports).
 * A report already written is left alone: a closed period does not change.
 */
export async function writeClosedReports(db: CoverageDb, settings: CoverageSettings, dir: string, now: number, log: Logger): Promise<number> {
  const roots = await db.selectFrom('areas').select('id').where('parent_id', 'is', null).execute();
  let written = 0;
  for (const { id } of roots) {
    for (const period of lastClosedPeriods(now)) {
      const base = join(dir, id, period);
      if (existsSync(`${base}.csv`)) continue;
      try {
        const r = await buildReport(db, settings, id, period, now);
        mkdirSync(join(dir, id), { recursive: true });
        // Written under a temporary name, then renamed: a crash never leaves half a report that would be kept.
        writeFileSync(`${base}.html.tmp`, reportHtml(r));
        renameSync(`${base}.html.tmp`, `${base}.html`);
        writeFileSync(`${base}.csv.tmp`, reportCsv(r));
        renameSync(`${base}.csv.tmp`, `${base}.csv`);
        written++;
      } catch (err) {
        // An area created after the period has no report for it; anything else is logged.
        if ((err as { code?: string }).code !== 'KHOA_ERR_AREA_UNKNOWN') log.error({ err, areaId: id, period }, 'scheduled report failed');
      }
    }
  }
  return written;
}
