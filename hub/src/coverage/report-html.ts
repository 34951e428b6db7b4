import type { Report, ReportRow } from './report.ts';
import { LABELS, minutes, type ReportLang } from './report-labels.ts';
import type { Share } from './figures.ts';

const esc = (v: unknown): string =>
  String(v ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
const pct = (v: number | null | undefined): string => (v === null || v === undefined ? '–' : `${v.toLocaleString('vi-VN')} %`);
const num = (v: number | null | undefined): string => (v === null || v === undefined ? '–' : v.toLocaleString('vi-VN'));
const day = (t: number): string => new Date(t + 7 * 3600_000).toISOString().slice(0, 16).replace('T', ' ');

/** The printed report is A4 landscape; the same page is shown in a browser and printed to PDF by Chromium. */
const CSS = `
@page { size: A4 landscape; margin: 12mm; }
body { font: 10pt/1.35 "Noto Sans", "DejaVu Sans", Arial, sans-serif; color: #111; margin: 0; }
h1 { font-size: 15pt; margin: 0 0 4pt; } h2 { font-size: 12pt; margin: 14pt 0 4pt; break-after: avoid; }
.meta { color: #444; margin: 0 0 8pt; }
table { border-collapse: collapse; width: 100%; } th, td { border: 0.5pt solid #999; padding: 2pt 4pt; text-align: right; }
th { background: #eee; font-weight: 600; } th[colspan] { text-align: center; } td.l, th.l { text-align: left; } tr { break-inside: avoid; }
tr.self td { font-weight: 600; background: #f6f6f6; } .miss { color: #b00; } .ok { color: #060; }
svg text { font: 8pt "DejaVu Sans", Arial, sans-serif; }
`;

function shareCells(s: Share | undefined): string {
  if (!s) return '<td>–</td><td>–</td><td>–</td><td>–</td>';
  const cls = s.targetPercent === null || s.total === 0 ? '' : s.needed === 0 ? 'ok' : 'miss';
  return `<td>${num(s.total)}</td><td>${num(s.covered)}</td><td class="${cls}">${pct(s.percent)}</td><td>${num(s.needed)}</td>`;
}

/** Bars: coverage of each unit (black) against its urban or rural target line (red). */
function coverageChart(rows: ReportRow[]): string {
  const w = 760, bar = 18, gap = 6, left = 190, h = rows.length * (bar + gap) + 24;
  const x = (p: number) => left + ((w - left - 40) * Math.min(p, 100)) / 100;
  const parts = rows.map((r, i) => {
    const y = 20 + i * (bar + gap);
    const c = r.coverage;
    const target = c ? (c.urban.total >= c.rural.total ? c.urban.targetPercent : c.rural.targetPercent) : null;
    return `<text x="${left - 6}" y="${y + 13}" text-anchor="end">${esc(r.name)}</text>`
      + `<rect x="${left}" y="${y}" width="${c?.households.percent ? x(c.households.percent) - left : 0}" height="${bar}" fill="#2b5797"/>`
      + (target !== null ? `<line x1="${x(target)}" x2="${x(target)}" y1="${y - 2}" y2="${y + bar + 2}" stroke="#c00" stroke-width="2"/>` : '')
      + `<text x="${(c?.households.percent ? x(c.households.percent) : left) + 4}" y="${y + 13}">${pct(c?.households.percent)}</text>`;
  });
  const ticks = [0, 25, 50, 75, 100].map((t) => `<line x1="${x(t)}" x2="${x(t)}" y1="14" y2="${h}" stroke="#ddd"/><text x="${x(t)}" y="10" text-anchor="middle">${t}%</text>`);
  return `<svg width="${w}" height="${h}" viewBox="0 0 ${w} ${h}" role="img">${ticks.join('')}${parts.join('')}</svg>`;
}

function trendChart(trend: Report['trend']): string {
  const w = 760, h = 160, left = 40, bottom = 24;
  const pts = trend.map((t, i) => ({ x: left + ((w - left - 20) * (i + 0.5)) / Math.max(trend.length, 1), t }));
  const y = (p: number) => h - bottom - ((h - bottom - 10) * Math.min(p, 100)) / 100;
  const line = pts.filter((p) => p.t.percent !== null).map((p) => `${p.x.toFixed(1)},${y(p.t.percent!).toFixed(1)}`).join(' ');
  return `<svg width="${w}" height="${h}" viewBox="0 0 ${w} ${h}" role="img">`
    + [0, 50, 100].map((t) => `<line x1="${left}" x2="${w}" y1="${y(t)}" y2="${y(t)}" stroke="#ddd"/><text x="${left - 4}" y="${y(t) + 3}" text-anchor="end">${t}%</text>`).join('')
    + (line ? `<polyline points="${line}" fill="none" stroke="#2b5797" stroke-width="2"/>` : '')
    + pts.map((p) => `<text x="${p.x}" y="${h - 8}" text-anchor="middle">${esc(p.t.month)}</text>` + (p.t.percent !== null ? `<circle cx="${p.x}" cy="${y(p.t.percent)}" r="3" fill="#2b5797"/><text x="${p.x}" y="${y(p.t.percent) - 6}" text-anchor="middle">${pct(p.t.percent)}</text>` : '')).join('')
    + '</svg>';
}

/** The printable report page; self-contained (inline style, SVG charts), no images of anyone. */
export function reportHtml(r: Report, lang: ReportLang = 'vi'): string {
  const L = LABELS[lang];
  const rows = [r.area, ...r.children];
  const tr = (row: ReportRow, cells: string) => `<tr class="${row === r.area ? 'self' : ''}"><td class="l">${esc(row.name)}</td>${cells}</tr>`;
  const resp = (k: 'tips' | 'alerts') => (row: ReportRow) => {
    const x = row.response[k];
    return tr(row, `<td>${num(x.total)}</td><td>${pct(x.takenUpPercent)}</td><td>${pct(x.resolvedPercent)}</td><td>${minutes(x.ackMedianMs) || '–'}</td><td>${minutes(x.ackP90Ms) || '–'}</td><td>${minutes(x.resolveMedianMs) || '–'}</td><td>${minutes(x.resolveP90Ms) || '–'}</td><td>${num(x.overdue)}</td>`);
  };
  const respHead = (k: 'tips' | 'alerts') => `<tr><th class="l">${esc(L.area)}</th><th>${esc(L.total)}</th><th>${esc(L.takenUp)}</th><th>${esc(L.resolved)}</th><th>${esc(L.ackMedian)}</th><th>${esc(L.ackP90)}</th><th>${esc(L.resolveMedian)}</th><th>${esc(L.resolveP90)}</th><th>${esc(L.overdue)}</th></tr>`.replace(esc(L.area), `${esc(L[k])}`);
  const groups = ['households', 'urban', 'rural', 'residentialAreas', 'agencies'] as const;
  // Two header rows: the group (households, urban, …) over its four columns.
  const coverageHead = `<tr><th class="l" rowspan="2">${esc(L.area)}</th>${groups.map((k) => `<th colspan="4">${esc(L[k])}</th>`).join('')}</tr>`
    + `<tr>${groups.map(() => `<th>${esc(L.total)}</th><th>${esc(L.covered)}</th><th>%</th><th>${esc(L.needed)}</th>`).join('')}</tr>`;
  return `<!doctype html><html lang="${lang}"><head><meta charset="utf-8"><title>${esc(L.title)} — ${esc(r.area.name)} ${esc(r.period.label)}</title><style>${CSS}</style></head><body>
<h1>${esc(L.title)}</h1>
<p class="meta">${esc(L.area)}: <b>${r.path.map((p) => esc(p.name)).join(' › ')}</b> · ${esc(L.period)}: <b>${esc(r.period.label)}</b> · ${esc(L.cutoff)}: ${day(r.cutoff)} · ${esc(L.coverageAt)}: ${r.coverageAt ? day(r.coverageAt) : esc(L.notRecorded)} · ${esc(L.generated)}: ${day(r.generatedAt)}</p>
<h2>${esc(L.coverage)}</h2>
<table><thead>${coverageHead}</thead><tbody>
${rows.map((row) => tr(row, groups.map((k) => shareCells(row.coverage?.[k])).join(''))).join('\n')}
</tbody></table>
${rows.length > 1 ? coverageChart(r.children) : ''}
<h2>${esc(L.trend)}</h2>
${trendChart(r.trend)}
<h2>${esc(L.response)}</h2>
<table><thead>${respHead('tips')}</thead><tbody>${rows.map(resp('tips')).join('\n')}</tbody></table>
<br><table><thead>${respHead('alerts')}</thead><tbody>${rows.map(resp('alerts')).join('\n')}</tbody></table>
<h2>${esc(L.standing)}</h2>
<table><thead><tr><th class="l">${esc(L.area)}</th><th class="l">${esc(L.class)}</th><th class="l">${esc(L.rating)}</th><th>${esc(L.assessed)}</th><th>${esc(L.recognised)}</th><th>%</th><th>${esc(L.target)}</th></tr></thead><tbody>
${rows.map((row) => tr(row, `<td class="l">${esc(row.standing?.class ? (L.classes[row.standing.class] ?? row.standing.class) : '–')}</td><td class="l">${esc(row.standing?.rating ? (L.ratings[row.standing.rating] ?? row.standing.rating) : '–')}</td><td>${num(row.recognition.assessed)}</td><td>${num(row.recognition.recognised)}</td><td class="${row.recognition.met ? 'ok' : row.recognition.assessed ? 'miss' : ''}">${pct(row.recognition.percent)}</td><td>&gt;${num(row.recognition.targetPercent)} %</td>`)).join('\n')}
</tbody></table>
</body></html>`;
}
