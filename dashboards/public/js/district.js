// District / province dashboard: coverage of each area below the chosen one against the plan
// targets, response times, standings, and the reports to download. Aggregates only: the API
// sends counts, never a household, an address or an image, and this page draws no image.
import { lang, t } from './i18n.js';
import { get, requireSession } from './api.js';
import { h, shell } from './shell.js';
import { areaEditPanel, assessPanel, importPanel } from './district-forms.js';

const session = await requireSession(['official', 'admin', 'officer']);
const SVG = 'http://www.w3.org/2000/svg';
const state = { area: new window.URLSearchParams(location.search).get('area') || session.areaId, period: new window.URLSearchParams(location.search).get('period') || defaultPeriod(), sort: { key: 'percent', dir: -1 }, report: null };

shell(session, () => render());
window.addEventListener('popstate', () => {
  const q = new window.URLSearchParams(location.search);
  state.area = q.get('area') || session.areaId;
  state.period = q.get('period') || defaultPeriod();
  void load();
});

/** This year in Vietnam: the trend then runs January to this month. */
function defaultPeriod() {
  return new Date(Date.now() + 7 * 3600_000).toISOString().slice(0, 4);
}

function periodOptions() {
  const now = new Date(Date.now() + 7 * 3600_000);
  const y = now.getUTCFullYear();
  const out = [];
  for (const year of [y, y - 1]) {
    out.push([`${year}`, t('district.year', { y: year })]);
    for (const half of [1, 2]) out.push([`${year}-H${half}`, t('district.half', { n: half, y: year })]);
    for (const q of [1, 2, 3, 4]) out.push([`${year}-Q${q}`, t('district.quarter', { n: q, y: year })]);
    for (let m = 12; m >= 1; m--) out.push([`${year}-${String(m).padStart(2, '0')}`, t('district.month', { n: m, y: year })]);
  }
  // Periods that have not started are refused by the API; offer only those that have.
  const firstMonth = (p) => (p.length === 4 ? 0 : p[5] === 'H' ? (Number(p[6]) - 1) * 6 : p[5] === 'Q' ? (Number(p[6]) - 1) * 3 : Number(p.slice(5)) - 1);
  const started = (p) => Number(p.slice(0, 4)) < y || firstMonth(p) <= now.getUTCMonth();
  return out.filter(([p]) => started(p));
}

const fmtPct = (v) => (v === null || v === undefined ? '—' : `${v.toLocaleString(lang() === 'vi' ? 'vi-VN' : 'en-GB')} %`);
const fmtNum = (v) => (v === null || v === undefined ? '—' : v.toLocaleString(lang() === 'vi' ? 'vi-VN' : 'en-GB'));
const fmtMin = (ms) => (ms === null || ms === undefined ? '—' : t('district.minutes', { n: (Math.round(ms / 6000) / 10).toLocaleString(lang() === 'vi' ? 'vi-VN' : 'en-GB') }));

async function load() {
  const main = document.getElementById('main');
  try {
    // An installation-wide administrator has no area of its own: start at the first root.
    if (!state.area) state.area = (await get('/district/roots'))[0]?.id;
    if (!state.area) {
      main.replaceChildren(h('p', { className: 'muted', textContent: t('district.noUnits') }));
      return;
    }
    state.report = await get(`/district/areas/${encodeURIComponent(state.area)}?period=${encodeURIComponent(state.period)}`);
    render();
  } catch (err) {
    main.replaceChildren(h('p', { className: 'error', role: 'alert', textContent: t('error.generic', { msg: err.message }) }));
  }
}

function go(area) {
  state.area = area;
  window.history.pushState(null, '', `?area=${encodeURIComponent(area)}&period=${encodeURIComponent(state.period)}`);
  void load();
}

/** Main target of an area: urban when most of its households are urban, else rural. */
function mainShare(c) {
  if (!c) return null;
  return c.urban.total >= c.rural.total && c.urban.total > 0 ? c.urban : c.rural.total > 0 ? c.rural : null;
}

function rowValues(row) {
  const c = row.coverage;
  const main = mainShare(c);
  return {
    name: row.name, households: c?.households.total ?? null, covered: c?.households.covered ?? null, percent: c?.households.percent ?? null,
    target: main?.targetPercent ?? null, needed: c?.households.needed ?? null, urban: c?.urban.total ? c.urban.percent : null, rural: c?.rural.total ? c.rural.percent : null,
    tips: row.response.tips.total, taken: row.response.tips.takenUpPercent, resolved: row.response.tips.resolvedPercent,
    ack: row.response.alerts.ackMedianMs, ackTips: row.response.tips.ackMedianMs, overdue: row.response.tips.overdue + row.response.alerts.overdue,
    cls: row.standing?.class ? t(`district.class.${row.standing.class}`) : '', rating: row.standing?.rating ? t(`district.rating.${row.standing.rating}`) : '',
    recognised: row.recognition.percent,
  };
}

const COLUMNS = [
  ['name', 'district.col.name', (v) => v],
  ['households', 'district.col.households', fmtNum],
  ['covered', 'district.col.covered', fmtNum],
  ['percent', 'district.col.percent', fmtPct],
  ['target', 'district.col.target', fmtPct],
  ['needed', 'district.col.needed', fmtNum],
  ['urban', 'district.col.urban', fmtPct],
  ['rural', 'district.col.rural', fmtPct],
  ['tips', 'district.col.tips', fmtNum],
  ['taken', 'district.col.taken', fmtPct],
  ['resolved', 'district.col.resolved', fmtPct],
  ['ackTips', 'district.col.ackTips', fmtMin],
  ['ack', 'district.col.ack', fmtMin],
  ['overdue', 'district.col.overdue', fmtNum],
  ['cls', 'district.col.class', (v) => v || '—'],
  ['rating', 'district.col.rating', (v) => v || '—'],
  ['recognised', 'district.col.recognised', fmtPct],
];

function table(rows) {
  const { key, dir } = state.sort;
  const values = rows.map((r) => ({ row: r, v: rowValues(r) }));
  values.sort((a, b) => {
    const x = a.v[key], y = b.v[key];
    if (x === y) return a.v.name.localeCompare(b.v.name, 'vi');
    if (x === null || x === '') return 1;
    if (y === null || y === '') return -1;
    return (typeof x === 'string' ? x.localeCompare(y, 'vi') : x - y) * dir;
  });
  const head = h('tr', {}, ...COLUMNS.map(([k, label]) => h('th', { scope: 'col', ariaSort: k === key ? (dir > 0 ? 'ascending' : 'descending') : 'none' },
    h('button', { type: 'button', textContent: t(label), dataset: { sort: k }, onclick: () => { state.sort = { key: k, dir: k === key ? -dir : k === 'name' ? 1 : -1 }; render(); } }))));
  for (const th of head.children) th.setAttribute('aria-sort', th.ariaSort ?? 'none');
  const body = values.map(({ row, v }) => h('tr', { dataset: { area: row.areaId } }, ...COLUMNS.map(([k, , fmt]) => {
    if (k === 'name') return h('td', {}, h('button', { type: 'button', className: 'drill', textContent: v.name, title: t('district.drill'), onclick: () => go(row.areaId) }));
    const cls = k === 'percent' && v.target !== null && v.percent !== null ? (row.coverage.households.needed === 0 ? 'ok' : 'miss') : '';
    return h('td', { className: cls, textContent: fmt(v[k]) });
  })));
  return h('div', { className: 'table-wrap' }, h('table', { className: 'district', id: 'district-table' }, h('thead', {}, head), h('tbody', {}, ...body)));
}

function svg(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  for (const c of children) el.append(c);
  return el;
}
const text = (x, y, s, anchor = 'start') => svg('text', { x, y, 'text-anchor': anchor }, s);

/** Horizontal bars: coverage of each area, a red mark at its target. */
function coverageChart(rows) {
  const bar = 16, gap = 8, left = 150, w = 640, h = rows.length * (bar + gap) + 26;
  const x = (p) => left + ((w - left - 50) * Math.min(p ?? 0, 100)) / 100;
  const root = svg('svg', { viewBox: `0 0 ${w} ${h}`, role: 'img', 'aria-label': t('district.chart.coverage') });
  for (const tick of [0, 25, 50, 75, 100]) root.append(svg('line', { class: 'grid', x1: x(tick), x2: x(tick), y1: 14, y2: h }), text(x(tick), 10, `${tick}%`, 'middle'));
  rows.forEach((r, i) => {
    const y = 20 + i * (bar + gap);
    const c = r.coverage;
    const main = mainShare(c);
    root.append(text(left - 6, y + 12, r.name.length > 22 ? `${r.name.slice(0, 21)}…` : r.name, 'end'));
    root.append(svg('rect', { class: 'bar', x: left, y, width: Math.max(0, x(c?.households.percent) - left), height: bar }));
    if (main?.targetPercent != null) root.append(svg('line', { class: 'target', x1: x(main.targetPercent), x2: x(main.targetPercent), y1: y - 3, y2: y + bar + 3 }));
    root.append(text(x(c?.households.percent) + 4, y + 12, fmtPct(c?.households.percent)));
  });
  return root;
}

/** Coverage at each month's end of the period. */
function trendChart(trend) {
  const w = 640, h = 200, left = 40, bottom = 24;
  const y = (p) => h - bottom - ((h - bottom - 14) * Math.min(p, 100)) / 100;
  const step = (w - left - 10) / Math.max(trend.length, 1);
  const root = svg('svg', { viewBox: `0 0 ${w} ${h}`, role: 'img', 'aria-label': t('district.chart.trend') });
  for (const tick of [0, 25, 50, 75, 100]) root.append(svg('line', { class: 'grid', x1: left, x2: w, y1: y(tick), y2: y(tick) }), text(left - 4, y(tick) + 4, `${tick}%`, 'end'));
  const pts = trend.map((m, i) => ({ x: left + step * (i + 0.5), m }));
  const known = pts.filter((p) => p.m.percent !== null);
  if (known.length > 1) root.append(svg('polyline', { class: 'line', points: known.map((p) => `${p.x},${y(p.m.percent)}`).join(' ') }));
  for (const p of pts) {
    root.append(text(p.x, h - 6, p.m.month.slice(5), 'middle'));
    if (p.m.percent !== null) root.append(svg('circle', { class: 'dot', cx: p.x, cy: y(p.m.percent), r: 3.5 }), text(p.x, y(p.m.percent) - 8, fmtPct(p.m.percent), 'middle'));
  }
  return root;
}

/** Median time to take up tips and alerts per area, in minutes. */
function responseChart(rows) {
  const bar = 8, gap = 12, left = 150, w = 640, h = rows.length * (2 * bar + gap) + 26;
  const max = Math.max(1, ...rows.flatMap((r) => [r.response.tips.ackMedianMs ?? 0, r.response.alerts.ackMedianMs ?? 0]));
  const x = (ms) => left + ((w - left - 70) * (ms ?? 0)) / max;
  const root = svg('svg', { viewBox: `0 0 ${w} ${h}`, role: 'img', 'aria-label': t('district.chart.response') });
  rows.forEach((r, i) => {
    const y = 14 + i * (2 * bar + gap);
    root.append(text(left - 6, y + 12, r.name.length > 22 ? `${r.name.slice(0, 21)}…` : r.name, 'end'));
    root.append(svg('rect', { class: 'bar', x: left, y, width: x(r.response.tips.ackMedianMs) - left, height: bar }), text(x(r.response.tips.ackMedianMs) + 4, y + 8, fmtMin(r.response.tips.ackMedianMs)));
    root.append(svg('rect', { class: 'bar2', x: left, y: y + bar, width: x(r.response.alerts.ackMedianMs) - left, height: bar }), text(x(r.response.alerts.ackMedianMs) + 4, y + 2 * bar + 2, fmtMin(r.response.alerts.ackMedianMs)));
  });
  return root;
}

function tile(label, value, sub, cls = '') {
  return h('div', { className: `tile ${cls}` }, h('div', { className: 'k', textContent: label }), h('div', { className: 'v', textContent: value }), sub ? h('div', { className: 's', textContent: sub }) : null);
}

function render() {
  const r = state.report;
  const main = document.getElementById('main');
  if (!r) return;
  const c = r.area.coverage;
  const tips = r.area.response.tips;
  const rec = r.area.recognition;
  const select = h('select', { id: 'period', onchange: (e) => { state.period = e.target.value; window.history.pushState(null, '', `?area=${encodeURIComponent(state.area)}&period=${encodeURIComponent(state.period)}`); void load(); } },
    ...periodOptions().map(([v, label]) => h('option', { value: v, textContent: label, selected: v === state.period })));
  const q = `period=${encodeURIComponent(state.period)}&lang=${lang()}`;
  const base = `/api/district/areas/${encodeURIComponent(state.area)}/report`;
  const crumbs = h('nav', { className: 'crumbs', ariaLabel: t('district.path') }, ...r.path.flatMap((p, i) => [
    i ? h('span', { className: 'sep', textContent: '›' }) : null,
    i === r.path.length - 1 ? h('strong', { textContent: p.name }) : session.areaId === null || r.path.slice(0, i + 1).some((a) => a.id === session.areaId) ? h('button', { type: 'button', textContent: p.name, onclick: () => go(p.id) }) : h('span', { textContent: p.name }),
  ]));
  const sourceNote = r.coverageAt === null ? t('district.notRecorded') : t(r.coverageSource === 'live' ? 'district.live' : 'district.snapshot', { at: new Date(r.coverageAt).toLocaleString(lang() === 'vi' ? 'vi-VN' : 'en-GB', { timeZone: 'Asia/Ho_Chi_Minh' }) });
  main.replaceChildren(
    h('div', { className: 'district-head' }, h('h1', { textContent: t('district.title') }),
      h('label', {}, t('district.period'), select),
      h('div', { className: 'downloads' },
        h('a', { className: 'btn', id: 'dl-csv', href: `${base}/csv?${q}`, download: '', textContent: t('district.csv') }),
        h('a', { className: 'btn', id: 'dl-pdf', href: `${base}/pdf?${q}`, download: '', textContent: t('district.pdf') }),
        h('a', { className: 'btn', href: `${base}/html?${q}`, target: '_blank', rel: 'noopener', textContent: t('district.print') }))),
    crumbs,
    h('p', { className: 'muted small', textContent: sourceNote }),
    h('div', { className: 'tiles', id: 'tiles' },
      tile(t('district.coverage'), fmtPct(c?.households.percent), c ? t('district.ofHouseholds', { covered: fmtNum(c.households.covered), total: fmtNum(c.households.total) }) : ''),
      tile(t('district.urban'), fmtPct(c?.urban.total ? c.urban.percent : null), c?.urban.total ? t('district.targetNeeded', { target: fmtPct(c.urban.targetPercent), needed: fmtNum(c.urban.needed) }) : '', c?.urban.total ? (c.urban.needed ? 'miss' : 'ok') : ''),
      tile(t('district.rural'), fmtPct(c?.rural.total ? c.rural.percent : null), c?.rural.total ? t('district.targetNeeded', { target: fmtPct(c.rural.targetPercent), needed: fmtNum(c.rural.needed) }) : '', c?.rural.total ? (c.rural.needed ? 'miss' : 'ok') : ''),
      tile(t('district.residential'), fmtPct(c?.residentialAreas.percent), c?.residentialAreas.total ? `${fmtNum(c.residentialAreas.covered)} / ${fmtNum(c.residentialAreas.total)}` : ''),
      tile(t('district.agencies'), fmtPct(c?.agencies.percent), c?.agencies.total ? `${fmtNum(c.agencies.covered)} / ${fmtNum(c.agencies.total)}` : ''),
      tile(t('district.tipsTaken'), fmtPct(tips.takenUpPercent), t('district.ofTips', { n: fmtNum(tips.total) }), tips.total ? (tips.takenUpPercent >= r.targets.tipsTakenUpPercent ? 'ok' : 'miss') : ''),
      tile(t('district.tipsResolved'), fmtPct(tips.resolvedPercent), t('district.overdue', { n: fmtNum(tips.overdue) }), tips.total ? (tips.resolvedPercent > r.targets.tipsResolvedPercent ? 'ok' : 'miss') : ''),
      tile(t('district.ackMedian'), fmtMin(tips.ackMedianMs), `p90 ${fmtMin(tips.ackP90Ms)}`),
      tile(t('district.recognised'), fmtPct(rec.percent), t('district.recognisedOf', { n: fmtNum(rec.recognised), total: fmtNum(rec.assessed), target: fmtNum(rec.targetPercent) }), rec.assessed ? (rec.met ? 'ok' : 'miss') : '')),
    r.children.length
      ? h('section', { className: 'panel' }, h('h2', { textContent: t('district.units') }), table(r.children))
      : h('p', { className: 'muted', textContent: t('district.noUnits') }),
    h('div', { className: 'charts' },
      r.children.length ? h('section', { className: 'panel chart', id: 'chart-coverage' }, h('h2', { textContent: t('district.chart.coverage') }), coverageChart(r.children),
        h('div', { className: 'legend' }, h('span', {}, h('i', { className: 'l-bar' }), t('district.legend.coverage')), h('span', {}, h('i', { className: 'l-target' }), t('district.legend.target')))) : null,
      h('section', { className: 'panel chart', id: 'chart-trend' }, h('h2', { textContent: t('district.chart.trend') }), trendChart(r.trend)),
      r.children.length ? h('section', { className: 'panel chart', id: 'chart-response' }, h('h2', { textContent: t('district.chart.response') }), responseChart(r.children),
        h('div', { className: 'legend' }, h('span', {}, h('i', { className: 'l-bar' }), t('district.legend.tips')), h('span', {}, h('i', { className: 'l-bar2' }), t('district.legend.alerts')))) : null),
    ['official', 'admin'].includes(session.role) ? assessPanel(r, () => void load()) : null,
    session.role === 'admin' ? areaEditPanel(r, () => void load()) : null,
    session.role === 'admin' ? importPanel() : null,
  );
}

await load();
