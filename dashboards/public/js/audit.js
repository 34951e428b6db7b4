// Admins' audit log: who saw which household's images, logins that failed, accounts made (decree 13/2023).
import { t } from './i18n.js';
import { get, requireSession } from './api.js';
import { h, shell } from './shell.js';
import { clock } from './time.js';

const session = await requireSession(['admin']);
let next = null;
const body = h('tbody', { id: 'audit-rows' });
const more = h('button', { className: 'btn more', type: 'button', textContent: t('list.more'), onclick: () => void load() });

function header() {
  return h('thead', {}, h('tr', {}, ...['audit.at', 'audit.user', 'audit.role', 'audit.action', 'audit.target', 'audit.household', 'audit.ip'].map((k) => h('th', { textContent: t(k) }))));
}

function render() {
  document.getElementById('main').replaceChildren(h('h1', { textContent: t('audit.title') }), h('div', { className: 'panel' }, h('table', {}, header(), body)), more);
}
shell(session, render);

async function load() {
  const page = await get(`/audit?limit=100${next ? `&before=${next}` : ''}`);
  body.append(...page.items.map((r) => h('tr', { dataset: { action: r.action } }, ...[clock(r.at), r.username, t(`role.${r.role}`), r.action, r.target, r.householdId ?? '', r.ip ?? ''].map((v) => h('td', { textContent: v })))));
  next = page.next;
  more.classList.toggle('hidden', !next);
}
render();
await load();
