import { KhoaError } from '@khoa/protocol';
import type { CoverageDb } from '../storage/coverage-tables.ts';
import { coverageBefore, type LiveCoverage } from './coverage-at.ts';
import { computeCoverage } from './coverage.ts';
import type { AreaFigures } from './figures.ts';
import { localMonthStart, monthsOf, parsePeriod, type Period } from './periods.ts';
import { responseByArea, type AreaResponse } from './response.ts';
import { recognitionShare, standingsOf, type RecognitionShare, type Standing } from './standings.ts';
import type { CoverageSettings } from './targets.ts';
import { pathTo, subtreeIds, treeAt } from './tree-at.ts';

/** One line of a report: an area (the one reported on, or one of its children). */
export interface ReportRow {
  areaId: string;
  name: string;
  level: string;
  /** Coverage at the period's end; null when no snapshot was taken then. */
  coverage: AreaFigures | null;
  response: AreaResponse;
  standing: Standing | null;
  recognition: RecognitionShare;
}

/** A report of one area and period: everything the CSV, the page and the PDF show. Counts only. */
export interface Report {
  areaId: string;
  period: Pick<Period, 'label' | 'kind' | 'year' | 'from' | 'to'>;
  /** The instant the figures describe: the period's end, or now while the period runs. */
  cutoff: number;
  generatedAt: number;
  coverageAt: number | null;
  coverageSource: 'live' | 'snapshot';
  /** Root-first names of the area's ancestors and itself. */
  path: { id: string; name: string; level: string }[];
  area: ReportRow;
  children: ReportRow[];
  /** Coverage at each month's end (null: not recorded). */
  trend: { month: string; percent: number | null; urbanPercent: number | null; ruralPercent: number | null }[];
  targets: { tipsTakenUpPercent: number; tipsResolvedPercent: number };
}

/**
 * Builds a report as it was at the period's end: the area tree of then, coverage from the
 * snapshot of then, alerts attributed to where households lived then and steps taken up to
 * then. Re-running a closed period's report gives the same numbers.
 */
export async function buildReport(
  db: CoverageDb, settings: CoverageSettings, areaId: string, periodLabel: string, now: number,
  live: LiveCoverage = (t) => computeCoverage(db, settings, t),
): Promise<Report> {
  const period = parsePeriod(periodLabel);
  if (period.from > now) throw new KhoaError('KHOA_ERR_PAYLOAD_INVALID', `period ${period.label} has not started`, { field: 'period' });
  const cutoff = Math.min(period.to, now);
  const tree = await treeAt(db, cutoff - 1);
  const node = tree.get(areaId);
  if (!node) throw new KhoaError('KHOA_ERR_AREA_UNKNOWN', `area ${areaId} did not exist in ${period.label}`, { areaId });
  const ids = [areaId, ...node.children];
  const [cov, resp, standings] = await Promise.all([
    coverageBefore(db, settings, ids, cutoff, now, period.from, live),
    responseByArea(db, tree, ids, period.from, cutoff, cutoff),
    standingsOf(db, period.label, ids),
  ]);
  const row = async (id: string): Promise<ReportRow> => {
    const n = tree.get(id)!;
    return {
      areaId: id, name: n.name, level: n.level, coverage: cov.figures.get(id) ?? null, response: resp.get(id)!, standing: standings.get(id) ?? null,
      recognition: await recognitionShare(db, settings, period.year, [...subtreeIds(tree, id)]),
    };
  };
  const trend: Report['trend'] = [];
  for (const month of monthsOf(period)) {
    const [y, m] = month.split('-').map(Number) as [number, number];
    const end = localMonthStart(y, m);
    if (localMonthStart(y, m - 1) > now) break;
    const f = (await coverageBefore(db, settings, [areaId], Math.min(end, now), now, localMonthStart(y, m - 1), live)).figures.get(areaId);
    trend.push({ month, percent: f?.households.percent ?? null, urbanPercent: f?.urban.percent ?? null, ruralPercent: f?.rural.percent ?? null });
  }
  return {
    areaId, period: { label: period.label, kind: period.kind, year: period.year, from: period.from, to: period.to }, cutoff, generatedAt: now,
    coverageAt: cov.figures.size ? cov.at : null, coverageSource: cov.source,
    path: pathTo(tree, areaId).map((n) => ({ id: n.id, name: n.name, level: n.level })),
    area: await row(areaId), children: await Promise.all(node.children.map(row)), trend,
    targets: { tipsTakenUpPercent: settings.tipsTakenUpPercent, tipsResolvedPercent: settings.tipsResolvedPercent },
  };
}
