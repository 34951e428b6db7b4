// Officials' view: aggregates of their subtree, never a household, an address or an image.
import { t } from './i18n.js';
import { get, requireSession } from './api.js';
import { h, shell } from './shell.js';

const session = await requireSession(['official', 'admin', 'officer']);
shell(session, () => void render());

function quarter(d = new Date()) {
  return `${d.getFullYear()}-Q${Math.floor(d.getMonth() / 3) + 1}`;
}

async function render() {
  const [s, survey] = await Promise.all([get('/stats'), get(`/survey/summary?quarter=${quarter()}`)]);
  const pct = (a, b) => (b ? `${Math.round((100 * a) / b)}%` : '—');
  const tile = (key, value, sub = '') => h('div', { className: 'card' }, h('div', { className: 'muted small', textContent: t(key) }), h('div', { className: 'armed-state', textContent: String(value) }), sub ? h('div', { className: 'muted small', textContent: sub }) : null);
  const median = s.medianAckMs == null ? '—' : `${Math.round(s.medianAckMs / 60000)} min`;
  document.getElementById('main').replaceChildren(
    h('h1', { textContent: t('stats.title') }),
    h('div', { className: 'cards', id: 'tiles' },
      tile('stats.households', s.households),
      tile('stats.withDevices', s.householdsWithDevices, pct(s.householdsWithDevices, s.households)),
      tile('stats.open', s.openAlerts),
      tile('stats.overdue', s.overdueAlerts),
      tile('stats.tips', s.tips),
      tile('stats.tipsTaken', pct(s.tipsTakenUp, s.tips)),
      tile('stats.tipsResolved', pct(s.tipsResolved, s.tips)),
      tile('stats.medianAck', median)),
    h('section', { className: 'panel' }, h('h2', { textContent: `${t('survey.summary')} · ${survey.quarter}` }),
      h('table', {}, h('thead', {}, h('tr', {}, ...['survey.village', 'stats.households', 'survey.done', 'survey.passed'].map((k) => h('th', { textContent: t(k) })))),
        h('tbody', {}, ...survey.items.map((v) => h('tr', {}, h('td', { textContent: v.areaName }), h('td', { textContent: String(v.households) }), h('td', { textContent: `${v.surveyed} (${pct(v.surveyed, v.households)})` }), h('td', { textContent: `${v.passed} (${pct(v.passed, v.surveyed)})` })))))),
  );
}
await render();
