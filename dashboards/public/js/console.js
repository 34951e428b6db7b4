// The police console: live alert list of the officer's area with filters and paging, the
// selected alert's detail with its snapshot, and the workflow buttons.
import { applyI18n, lang, t } from './i18n.js';
import { ApiError, get, post, requireSession } from './api.js';
import { h, setLive, shell, toast } from './shell.js';
import { clock, keepRelativeTimesFresh, timeEl } from './time.js';
import { armSound, beep, soundButton } from './beep.js';

const KINDS = ['person', 'door_forced', 'door_open_armed', 'tamper', 'lock_open_night', 'keypad_failures', 'low_battery', 'jammed', 'camera_lost', 'camera_blinded', 'agent_offline', 'tip', 'sos'];
const STATUSES = ['new', 'acknowledged', 'assigned', 'resolved', 'false_alarm'];
// Mirrors protocol's ALERT_TRANSITIONS to show only the buttons that can work; the hub enforces it.
const NEXT = { new: ['acknowledged', 'assigned', 'resolved', 'false_alarm'], acknowledged: ['assigned', 'resolved', 'false_alarm'], assigned: ['assigned', 'resolved', 'false_alarm'], resolved: [], false_alarm: [] };
const ACTIONS = [['acknowledge', 'acknowledged', 'warn'], ['resolve', 'resolved', 'ok'], ['false-alarm', 'false_alarm', 'ghost']];
const URGENT = new Set(['critical']);

const $ = (id) => document.getElementById(id);
const state = { items: new Map(), next: null, selected: null, officers: null };

const session = await requireSession(['officer']);
shell(session, () => {
  fillFilters();
  renderList();
  if (state.selected) void openDetail(state.selected);
}, { live: true });
armSound();
keepRelativeTimesFresh();
fillFilters();
document.querySelector('.counts').append(soundButton((on) => t(on ? 'sound.on' : 'sound.off')));

function fillFilters() {
  const st = $('f-status');
  const cur = st.value || 'open';
  st.replaceChildren(h('option', { value: 'open', textContent: t('filter.open') }), ...STATUSES.map((s) => h('option', { value: s, textContent: t(`status.${s}`) })), h('option', { value: 'all', textContent: t('filter.all') }));
  st.value = cur;
  const kd = $('f-kind');
  const kcur = kd.value;
  kd.replaceChildren(h('option', { value: '', textContent: t('filter.anyKind') }), ...KINDS.map((k) => h('option', { value: k, textContent: t(`kind.${k}`) })));
  kd.value = kcur;
  applyI18n();
}

function query(cursor) {
  const p = new window.URLSearchParams({ status: $('f-status').value || 'open', limit: '50' });
  if ($('f-kind').value) p.set('kind', $('f-kind').value);
  if ($('f-overdue').checked) p.set('overdue', '1');
  if ($('f-mine').checked) p.set('mine', '1');
  const q = $('f-q').value.trim();
  if (q) p.set('q', q);
  if (cursor) p.set('cursor', cursor);
  return p;
}

/** Whether a pushed alert belongs in the list as currently filtered. */
function matches(a) {
  const st = $('f-status').value || 'open';
  if (st === 'open' && !['new', 'acknowledged', 'assigned'].includes(a.status)) return false;
  if (st !== 'open' && st !== 'all' && st !== a.status) return false;
  if ($('f-kind').value && $('f-kind').value !== a.kind) return false;
  if ($('f-overdue').checked && !a.overdue) return false;
  if ($('f-mine').checked && a.assignedTo !== session.username) return false;
  const q = $('f-q').value.trim().toLowerCase();
  return !q || a.address.toLowerCase().includes(q) || a.householdId.includes(q);
}

async function load(reset = true) {
  const page = await get(`/alerts?${query(reset ? null : state.next)}`);
  if (reset) state.items.clear();
  for (const a of page.items) state.items.set(a.id, a);
  state.next = page.next;
  renderList();
}

function sorted() {
  return [...state.items.values()].sort((a, b) => b.createdAt - a.createdAt || b.id - a.id);
}

function item(a, fresh = false) {
  const li = h(
    'li',
    { className: `alert-item sev-${a.severity}${fresh ? ' fresh' : ''}${state.selected === a.id ? ' selected' : ''}`, tabIndex: 0, dataset: { alertId: String(a.id), kind: a.kind, status: a.status }, onclick: () => void openDetail(a.id), onkeydown: (e) => e.key === 'Enter' && void openDetail(a.id) },
    h('span', { className: 'kind', textContent: t(`kind.${a.kind}`) }),
    h('span', { className: `badge st-${a.status}`, textContent: t(`status.${a.status}`) }),
    h('span', { className: 'addr', textContent: `${a.address} · ${a.areaName}` }),
    h('span', { className: 'meta' }, timeEl(a.createdAt), a.overdue ? h('span', { className: 'badge overdue', textContent: t('overdue') }) : null, a.assignedTo ? h('span', { textContent: `→ ${a.assignedTo}` }) : null),
  );
  return li;
}

function renderList(freshId) {
  const list = sorted().filter(matches);
  $('alerts').replaceChildren(...list.map((a) => item(a, a.id === freshId)));
  $('empty').classList.toggle('hidden', list.length > 0);
  $('more').classList.toggle('hidden', !state.next);
  $('count-open').textContent = t('list.count', { n: list.length + (state.next ? '+' : '') });
  $('count-overdue').textContent = t('list.overdueCount', { n: list.filter((a) => a.overdue).length });
  // A console in a background tab still says how many alerts nobody has taken up.
  const fresh = list.filter((a) => a.status === 'new').length;
  document.title = `${fresh ? `(${fresh}) ` : ''}Khoa · ${t('nav.alerts')}`;
}

async function officers() {
  state.officers ??= (await get('/officers')).items;
  return state.officers;
}

async function act(id, action, body = {}) {
  try {
    const a = await post(`/alerts/${id}/${action}`, body);
    state.items.set(a.id, a);
    renderList();
    await openDetail(id);
  } catch (ex) {
    if (ex instanceof ApiError && ex.status === 409) {
      toast(t('action.conflict'));
      await openDetail(id);
    } else toast(t('action.failed', { msg: ex.message }));
  }
}

/**
 * The hub's detail line in the reader's language: the hub stores facts (JSON, see the
 * protocol's AlertFacts), the words are here. Free text (tips, older alerts) is shown as is.
 */
function detailText(kind, detail) {
  let f;
  try {
    f = detail && detail[0] === '{' ? JSON.parse(detail) : null;
  } catch {
    f = null;
  }
  if (!f || typeof f !== 'object') return detail;
  if (typeof f.score === 'number') return t('detail.score', { pct: Math.round(f.score * 100) });
  const vars = {
    ...f,
    what: f.event ? t(`event.${f.event}`) : f.state ? t(`facts.state.${f.state}`) : '',
    since: typeof f.since === 'number' ? clock(f.since) : '',
  };
  const key = f.via ? `facts.${kind}.${f.via}` : `facts.${kind}`;
  const text = t(key, vars);
  if (text === key) return detail;
  // A camera's own error words are technical and untranslated: kept, after the sentence; a
  // household's note is theirs, quoted.
  const tail = [f.reason ? ` (${f.reason})` : '', f.note ? `: “${f.note}”` : ''].join('');
  return text + tail;
}

/** While the household shares a camera, its latest frame refreshes every few seconds. */
function sharedView(id) {
  const img = h('img', { className: 'snapshot', id: 'shared-frame', alt: t('detail.sharedView') });
  const note = h('span', { className: 'snapshot-note', textContent: t('detail.sharedWaiting') });
  const load = () => {
    img.src = `/api/alerts/${id}/shared-frame?t=${Date.now()}`;
  };
  img.onload = () => {
    note.textContent = t('detail.sharedLive', { time: new Date().toLocaleTimeString(lang() === 'vi' ? 'vi-VN' : 'en-GB') });
  };
  img.onerror = () => {
    note.textContent = t('detail.sharedWaiting');
  };
  load();
  state.sharedTimer = setInterval(load, 3000);
  return h('div', { className: 'snapshot-wrap' }, img, note);
}

async function openDetail(id) {
  clearInterval(state.sharedTimer);
  state.selected = id;
  for (const li of $('alerts').children) li.classList.toggle('selected', li.dataset.alertId === String(id));
  const d = await get(`/alerts/${id}`);
  const a = d.alert;
  state.items.set(a.id, a);
  const allowed = NEXT[a.status];
  const note = h('textarea', { id: 'note', placeholder: t('action.notePlaceholder'), rows: 2 });
  const noteOf = () => (note.value.trim() ? { note: note.value.trim() } : {});
  const buttons = ACTIONS.filter(([, to]) => allowed.includes(to)).map(([action, , style]) =>
    h('button', { type: 'button', className: `btn big ${style}`, dataset: { action }, textContent: t(`action.${action}`), onclick: () => void act(id, action, noteOf()) }),
  );
  let assign = null;
  if (allowed.includes('assigned')) {
    const sel = h('select', { id: 'assign-to', ariaLabel: t('action.assign') }, h('option', { value: '', textContent: t('action.pickOfficer') }), ...(await officers()).map((o) => h('option', { value: o.username, textContent: `${o.displayName} (${o.username})` })));
    assign = h('span', { className: 'row' }, sel, h('button', { type: 'button', className: 'btn big primary', dataset: { action: 'assign' }, textContent: t('action.assign'), onclick: () => sel.value && void act(id, 'assign', { officer: sel.value, ...noteOf() }) }));
  }
  const snapshot = a.hasSnapshot
    ? h('div', { className: 'snapshot-wrap' }, h('img', { className: 'snapshot', id: 'snapshot', src: `/api/alerts/${id}/snapshot`, alt: t(`kind.${a.kind}`) }), h('span', { className: 'snapshot-note', textContent: t('detail.snapshotLogged') }))
    : ['tip', 'sos'].includes(a.kind) ? null : h('p', { className: 'muted', textContent: t('detail.noSnapshot') });
  const tip = d.tip
    ? h('div', { className: 'panel tip-box' }, h('h3', { textContent: t('detail.tip') }), h('p', { textContent: d.tip.text }), d.tip.hasPhoto ? h('img', { className: 'snapshot', src: `/api/alerts/${id}/tip-photo`, alt: t('detail.tip') }) : null)
    : null;
  const fact = (k, v) => [h('dt', { textContent: t(k) }), h('dd', {}, v)];
  $('detail').replaceChildren(...[
    h('button', { type: 'button', className: 'btn ghost back-to-list', textContent: t('detail.back'), onclick: () => $('console').classList.remove('has-detail') }),
    h('div', { className: 'head' }, h('h2', { textContent: t(`kind.${a.kind}`) }), h('span', { className: `badge st-${a.status}`, id: 'detail-status', textContent: t(`status.${a.status}`) }), a.overdue ? h('span', { className: 'badge overdue', textContent: t('overdue') }) : null),
    a.detail ? h('p', { className: 'muted', id: 'detail-text', textContent: detailText(a.kind, a.detail) }) : null,
    d.sharedUntil ? h('p', { className: 'notice', textContent: t('detail.shared', { time: clock(d.sharedUntil) }) }) : null,
    d.sharedUntil ? sharedView(id) : null,
    snapshot,
    tip,
    h('dl', { className: 'facts' },
      ...fact('detail.address', a.address), ...fact('detail.area', a.areaName), ...fact('detail.household', a.householdId),
      ...(a.deviceId ? fact('detail.device', `${a.deviceId}${a.subject ? ` / ${a.subject}` : ''}`) : []),
      ...fact('detail.raised', h('span', {}, timeEl(a.createdAt), ` · ${clock(a.createdAt)}`)),
      ...fact('detail.deadline', h('span', { className: a.overdue ? 'error' : '' }, timeEl(a.deadlineAt))),
      ...(a.assignedTo ? fact('detail.assignedTo', a.assignedTo) : [])),
    allowed.length ? h('div', { className: 'actions' }, ...buttons, assign) : null,
    h('div', { className: 'row' }, note, h('button', { type: 'button', className: 'btn', dataset: { action: 'note' }, textContent: t('action.note'), onclick: async () => {
      if (!note.value.trim()) return;
      await post(`/alerts/${id}/notes`, { text: note.value.trim() });
      await openDetail(id);
    } })),
    h('div', { className: 'cols spaced' },
      h('div', {}, h('h3', { textContent: t('detail.history') }), h('ul', { className: 'timeline', id: 'history' },
        ...d.history.map((x) => h('li', {}, timeEl(x.at), h('strong', { textContent: t(`status.${x.toStatus}`) }), ` · ${x.by}${x.note ? ` · ${x.by === 'hub' ? detailText(a.kind, x.note) : x.note}` : ''}`)),
        ...d.notes.map((n) => h('li', {}, timeEl(n.at), h('strong', { textContent: t('detail.notes') }), ` · ${n.by}: ${n.text}`)))),
      h('div', {}, h('h3', { textContent: t('detail.events') }), d.events.length
        ? h('ul', { className: 'timeline' }, ...d.events.map((e) => h('li', {}, timeEl(e.at), h('strong', { textContent: t(`event.${e.type}`) }), ` · ${e.lockId}${e.battery != null ? ` · ${e.battery}%` : ''}`)))
        : h('p', { className: 'muted', textContent: t('detail.noEvents') }))),
  ].filter(Boolean));
  $('console').classList.add('has-detail');
  // On a phone the detail replaces the list; start it at its top.
  if (window.matchMedia('(max-width: 900px)').matches) window.scrollTo(0, 0);
}

function connect() {
  const es = new EventSource('/api/alerts/stream');
  es.onopen = () => {
    setLive(true);
    // Anything raised while disconnected comes back with the reload.
    void load(true);
  };
  es.onerror = () => setLive(false);
  es.addEventListener('alert', (e) => {
    const a = JSON.parse(e.data);
    state.items.set(a.id, a);
    if (matches(a)) {
      renderList(a.id);
      beep(URGENT.has(a.severity));
      window.dispatchEvent(new window.CustomEvent('khoa:alert', { detail: a }));
    }
  });
  es.addEventListener('update', (e) => {
    const a = JSON.parse(e.data);
    state.items.set(a.id, a);
    renderList();
    if (state.selected === a.id) void openDetail(a.id);
  });
}

let debounce;
$('filters').addEventListener('input', () => {
  clearTimeout(debounce);
  debounce = setTimeout(() => void load(true), 250);
});
$('filters').addEventListener('submit', (e) => e.preventDefault());
$('more').addEventListener('click', () => void load(false));

await load(true);
connect();
