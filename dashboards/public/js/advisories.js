// Police write an advisory for an area of their scope; its households see it and their agents play it.
import { t } from './i18n.js';
import { get, post, requireSession } from './api.js';
import { h, shell, toast } from './shell.js';
import { timeEl } from './time.js';

const session = await requireSession(['officer']);
shell(session, () => void render());

async function render() {
  const [areas, list] = await Promise.all([get('/areas'), get('/advisories')]);
  const area = h('select', { id: 'adv-area' }, ...areas.items.map((a) => h('option', { value: a.id, textContent: a.name, selected: a.id === session.areaId })));
  const title = h('input', { id: 'adv-title', type: 'text', maxLength: 200, required: true });
  const text = h('textarea', { id: 'adv-body', maxLength: 4000, required: true });
  const hours = h('input', { id: 'adv-hours', type: 'number', min: 1, max: 2160, value: 168 });
  const form = h('form', { className: 'panel', onsubmit: async (e) => {
    e.preventDefault();
    try {
      const r = await post('/advisories', { areaId: area.value, title: title.value.trim(), body: text.value.trim(), hours: Number(hours.value) || 168 });
      toast(t('adv.sent', { n: r.agents }));
      await render();
    } catch (ex) {
      toast(t('error.generic', { msg: ex.message }));
    }
  } },
  h('h1', { textContent: t('adv.title') }),
  h('label', { htmlFor: 'adv-area', textContent: t('adv.area') }), area,
  h('label', { htmlFor: 'adv-title', textContent: t('adv.heading') }), title,
  h('label', { htmlFor: 'adv-body', textContent: t('adv.body') }), text,
  h('label', { htmlFor: 'adv-hours', textContent: t('adv.hours') }), hours,
  h('p', {}, h('button', { className: 'btn big primary', type: 'submit', textContent: t('adv.send') })));
  document.getElementById('main').replaceChildren(form,
    h('section', { className: 'panel' }, h('h2', { textContent: t('adv.list') }), ...list.items.map((a) => h('div', { className: 'card advisory' }, h('h3', { textContent: a.title }), h('p', { textContent: a.body }), h('p', { className: 'muted small' }, `${a.areaName} · ${a.createdBy} · `, timeEl(a.createdAt))))));
}
await render();
