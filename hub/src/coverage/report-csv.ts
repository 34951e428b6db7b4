import { csvLine } from './csv.ts';
import type { Report, ReportRow } from './report.ts';
import { LABELS, minutes, type ReportLang } from './report-labels.ts';

/**
 * The report as one CSV table: the area, then each area below it, one line each. UTF-8 with a
 * BOM so spreadsheets show Vietnamese correctly; counts and percents only, never a household.
 */
export function reportCsv(r: Report, lang: ReportLang = 'vi'): string {
  const L = LABELS[lang];
  const head = [
    L.period, L.id, L.name, L.level,
    `${L.households} ${L.total}`, `${L.households} ${L.covered}`, `${L.households} ${L.percent}`, `${L.households} ${L.needed}`,
    ...(['urban', 'rural', 'residentialAreas', 'agencies'] as const).flatMap((k) => [`${L[k]} ${L.total}`, `${L[k]} ${L.covered}`, `${L[k]} ${L.percent}`, `${L[k]} ${L.target}`, `${L[k]} ${L.needed}`]),
    ...(['tips', 'alerts'] as const).flatMap((k) => [`${L[k]} ${L.total}`, `${L[k]} ${L.takenUp}`, `${L[k]} ${L.resolved}`, `${L[k]} ${L.ackMedian}`, `${L[k]} ${L.ackP90}`, `${L[k]} ${L.resolveMedian}`, `${L[k]} ${L.resolveP90}`, `${L[k]} ${L.overdue}`]),
    L.class, L.rating, `${L.recognised} ${L.assessed}`, L.recognised, `${L.recognised} ${L.percent}`, `${L.recognised} ${L.target}`,
  ];
  type Cell = string | number | null | undefined;
  const line = (row: ReportRow) => {
    const c = row.coverage;
    return csvLine(<Cell[]>[
      r.period.label, row.areaId, row.name, row.level,
      c?.households.total, c?.households.covered, c?.households.percent, c?.households.needed,
      ...(['urban', 'rural', 'residentialAreas', 'agencies'] as const).flatMap((k): Cell[] => (c ? [c[k].total, c[k].covered, c[k].percent, c[k].targetPercent, c[k].needed] : ['', '', '', '', ''])),
      ...(['tips', 'alerts'] as const).flatMap((k): Cell[] => {
        const x = row.response[k];
        return [x.total, x.takenUpPercent, x.resolvedPercent, minutes(x.ackMedianMs), minutes(x.ackP90Ms), minutes(x.resolveMedianMs), minutes(x.resolveP90Ms), x.overdue];
      }),
      row.standing?.class ? (L.classes[row.standing.class] ?? row.standing.class) : '', row.standing?.rating ? (L.ratings[row.standing.rating] ?? row.standing.rating) : '',
      row.recognition.assessed, row.recognition.recognised, row.recognition.percent, row.recognition.targetPercent,
    ]);
  };
  return '\ufeff' + csvLine(head) + line(r.area) + r.children.map(line).join('');
}
