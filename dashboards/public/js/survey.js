// The quarterly lock-safety checklist, filled household by household on a phone, and the village summary.
import { t } from './i18n.js';
import { get, post, requireSession } from './api.js';
import { h, shell, toast } from './shell.js';

const ITEMS = ['main_door_lock_sound', 'gate_locked_at_night', 'windows_have_bars_or_locks', 'spare_key_kept_safe', 'valuables_out_of_sight', 'vehicle_locked_inside', 'lighting_at_entrance', 'knows_police_hotline'];
const session = await requireSession(['officer']);
const now = new Date();
let quarter = `${now.getFullYear()}-Q${Math.floor(now.getMonth() / 3) + 1}`;
shell(session, () => void render());

async function render(selected) {
  const [list, summary] = await Promise.all([get(`/survey/households?quarter=${quarter}`), get(`/survey/summary?quarter=${quarter}`)]);
  const hh = h('select', { id: 'survey-household' }, ...list.items.map((x) => h('option', { value: x.householdId, selected: x.householdId === selected, textContent: `${x.passed === null ? '○' : x.passed ? '✔' : '✖'} ${x.address} · ${x.areaName}` })));
  const checks = h('div', { className: 'checklist' });
  const fill = () => {
    const cur = list.items.find((x) => x.householdId === hh.value);
    checks.replaceChildren(...ITEMS.map((k) => h('label', {}, h('input', { type: 'checkbox', name: k, checked: !!cur?.answers?.[k] }), t(`survey.item.${k}`))));
  };
  hh.addEventListener('change', fill);
  fill();
  const q = h('input', { id: 'survey-quarter', type: 'text', value: quarter, pattern: '20[0-9]{2}-Q[1-4]', onchange: (e) => { quarter = e.target.value; void render(); } });
  const note = h('textarea', { id: 'survey-note', maxLength: 1000 });
  const pct = (a, b) => (b ? Math.round((100 * a) / b) : 0);
  document.getElementById('main').replaceChildren(
    h('form', { className: 'panel', onsubmit: async (e) => {
      e.preventDefault();
      const answers = Object.fromEntries(ITEMS.map((k) => [k, checks.querySelector(`input[name=${k}]`).checked]));
      try {
        await post('/survey', { householdId: hh.value, quarter, answers, ...(note.value.trim() ? { note: note.value.trim() } : {}) });
        toast(t('survey.saved'));
        await render(hh.value);
      } catch (ex) {
        toast(t('error.generic', { msg: ex.message }));
      }
    } },
    h('h1', { textContent: t('survey.title') }),
    h('label', { htmlFor: 'survey-quarter', textContent: t('survey.quarter') }), q,
    h('label', { htmlFor: 'survey-household', textContent: t('survey.household') }), hh,
    checks,
    h('label', { htmlFor: 'survey-note', textContent: t('survey.note') }), note,
    h('p', {}, h('button', { className: 'btn big primary', type: 'submit', textContent: t('survey.save') }))),
    h('section', { className: 'panel' }, h('h2', { textContent: t('survey.summary') }),
      h('table', {}, h('thead', {}, h('tr', {}, ...['survey.village', 'survey.done', 'survey.passed'].map((k) => h('th', { textContent: t(k) })))),
        h('tbody', {}, ...summary.items.map((v) => h('tr', {}, h('td', { textContent: v.areaName }),
          h('td', {}, `${v.surveyed}/${v.households} `, h('div', { className: 'bar' }, h('span', { style: `width:${pct(v.surveyed, v.households)}%` }))),
          h('td', { textContent: `${v.passed} (${pct(v.passed, v.surveyed)}%)` })))))),
  );
}
await render();
