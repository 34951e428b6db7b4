// Administrators make console accounts; the generated password is shown here once, to hand over.
import { t } from './i18n.js';
import { get, post, requireSession } from './api.js';
import { h, shell, toast } from './shell.js';
import { clock } from './time.js';

const ROLES = ['officer', 'official', 'household', 'admin'];
const session = await requireSession(['admin']);
shell(session, () => void render());

async function render(created) {
  const list = await get('/users');
  const username = h('input', { id: 'u-username', type: 'text', required: true, pattern: '[a-z0-9][a-z0-9._-]{1,47}', autocapitalize: 'none', spellcheck: false });
  const name = h('input', { id: 'u-name', type: 'text', maxLength: 100 });
  const role = h('select', { id: 'u-role' }, ...ROLES.map((r) => h('option', { value: r, textContent: t(`role.${r}`) })));
  const scope = h('input', { id: 'u-scope', type: 'text', required: true, placeholder: t('users.scopeHint') });
  const form = h('form', { className: 'panel', onsubmit: async (e) => {
    e.preventDefault();
    const body = { username: username.value.trim().toLowerCase(), role: role.value, ...(name.value.trim() ? { displayName: name.value.trim() } : {}) };
    if (role.value === 'household') body.householdId = scope.value.trim();
    else body.areaId = scope.value.trim();
    try {
      await render(await post('/users', body));
    } catch (ex) {
      toast(t('error.generic', { msg: ex.message }));
    }
  } },
  h('h1', { textContent: t('users.title') }),
  created ? h('div', { className: 'card advisory', id: 'created' }, h('p', { textContent: t('users.created', { username: created.username }) }), h('p', { className: 'armed-state', id: 'created-password', textContent: created.password }), h('p', { className: 'muted small', textContent: t('users.once') })) : null,
  h('label', { htmlFor: 'u-username', textContent: t('login.username') }), username,
  h('label', { htmlFor: 'u-name', textContent: t('users.name') }), name,
  h('label', { htmlFor: 'u-role', textContent: t('users.role') }), role,
  h('label', { htmlFor: 'u-scope', textContent: t('users.scope') }), scope,
  h('p', {}, h('button', { className: 'btn big primary', type: 'submit', textContent: t('users.add') })));
  document.getElementById('main').replaceChildren(form,
    h('section', { className: 'panel' }, h('table', {},
      h('thead', {}, h('tr', {}, ...['login.username', 'users.name', 'users.role', 'users.scope', 'audit.at'].map((k) => h('th', { textContent: t(k) })))),
      h('tbody', { id: 'users' }, ...list.items.map((u) => h('tr', {}, ...[u.username, u.displayName, t(`role.${u.role}`), u.areaId ?? u.householdId ?? '—', clock(u.createdAt)].map((v) => h('td', { textContent: v }))))))));
}
await render();
