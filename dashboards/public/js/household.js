// A household's own page, built for a phone: arm/disarm confirmed by the home controller, SOS,
// tips, live device state, own alerts and events, camera sharing, deletion of its data.
import { applyI18n, t } from './i18n.js';
import { ApiError, get, post, requireSession } from './api.js';
import { h, setLive, shell, toast } from './shell.js';
import { clock, keepRelativeTimesFresh, timeEl } from './time.js';
import { armSound, beep } from './beep.js';

const $ = (id) => document.getElementById(id);
const session = await requireSession(['household']);
shell(session, () => void refresh(), { live: true });
armSound();
keepRelativeTimesFresh();
let state = null;
let pending = false;

function pill(text, cls = '') {
  return h('span', { className: `pill ${cls}`, textContent: text });
}

function renderArmed() {
  const armed = state.household.armed;
  $('armed-state').textContent = t(armed ? 'hh.armed' : 'hh.disarmed');
  $('armed-state').className = `armed-state ${armed ? 'on' : 'off'}`;
  $('arm-btn').textContent = t(armed ? 'hh.disarm' : 'hh.arm');
  $('arm-btn').className = `btn big ${armed ? 'ok' : 'danger'}`;
  $('arm-btn').disabled = pending;
}

function renderDevices() {
  const cards = [];
  for (const d of state.devices) {
    const online = d.status === 'online';
    cards.push(h('div', { className: 'card', dataset: { deviceId: d.id } },
      h('h3', { textContent: d.id }),
      h('div', { className: 'state' }, pill(t(`hh.${['online', 'offline'].includes(d.status) ? d.status : 'unknown'}`), online ? 'good' : 'bad')),
      ...d.locks.map((l) => h('div', { className: 'state', dataset: { lockId: l.id } },
        h('strong', { textContent: l.name || l.id }),
        l.lockState ? pill(t(l.lockState === 'locked' ? 'hh.locked' : 'hh.unlocked'), l.lockState === 'locked' ? 'good' : 'warn') : null,
        l.doorState ? pill(t(l.doorState === 'open' ? 'hh.doorOpen' : 'hh.doorClosed'), l.doorState === 'open' ? 'warn' : 'good') : null,
        l.battery != null ? pill(t('hh.battery', { n: Math.round(l.battery) }), l.battery < 20 ? 'bad' : '') : null)),
      ...d.cameras.map((c) => h('div', { className: 'state' }, h('strong', { textContent: `${t('hh.camera')} ${c.name || c.id}` }), c.state ? pill(t(`cam.${c.state}`), c.state === 'streaming' ? 'good' : c.state === 'reconnecting' ? 'warn' : 'bad') : null)),
    ));
  }
  $('devices').replaceChildren(...(cards.length ? cards : [h('p', { className: 'muted', textContent: t('hh.none') })]));
}

function renderShare() {
  const cams = state.devices.flatMap((d) => d.cameras.map((c) => ({ deviceId: d.id, ...c })));
  const box = $('share');
  if (!cams.length) return box.replaceChildren(h('p', { className: 'muted', textContent: t('hh.none') }));
  const active = state.shares[0];
  const select = h('select', { id: 'share-cam' }, ...cams.map((c) => h('option', { value: `${c.deviceId}/${c.id}`, textContent: `${t('hh.camera')} ${c.name || c.id}` })));
  const minutes = h('select', { id: 'share-minutes' }, ...[15, 60, 240, 1440].map((m) => h('option', { value: String(m), textContent: m < 60 ? t('minutes', { n: m }) : t('hours', { n: m / 60 }) })));
  box.replaceChildren(
    h('p', { className: active ? 'notice' : 'muted', id: 'share-state', textContent: active ? t('hh.sharingUntil', { time: clock(active.until) }) : t('hh.notSharing') }),
    h('div', { className: 'row' }, select, h('span', { textContent: t('hh.shareFor') }), minutes,
      h('button', { type: 'button', className: 'btn primary', textContent: t('hh.shareStart'), onclick: async () => {
        const [deviceId, cameraId] = select.value.split('/');
        await post('/household/share', { deviceId, cameraId, minutes: Number(minutes.value) });
        await refresh();
      } }),
      active ? h('button', { type: 'button', className: 'btn', textContent: t('hh.shareStop'), onclick: async () => { await post('/household/share/stop'); await refresh(); } }) : null),
  );
}

async function renderLists() {
  const [alerts, events, advisories] = await Promise.all([get('/household/alerts'), get('/household/events'), get('/advisories')]);
  // A household sees its own snapshots (its own views are not logged: they are its data).
  const item = (a) => h('li', { dataset: { alertId: String(a.id), kind: a.kind } },
    timeEl(a.createdAt), h('strong', { textContent: t(`kind.${a.kind}`) }), ' ', h('span', { className: `badge st-${a.status}`, textContent: t(`status.${a.status}`) }),
    a.hasSnapshot ? h('a', { href: `/api/alerts/${a.id}/snapshot`, target: '_blank', rel: 'noopener' }, h('img', { className: 'thumb', src: `/api/alerts/${a.id}/snapshot`, loading: 'lazy', alt: t(`kind.${a.kind}`) })) : null);
  $('my-alerts').replaceChildren(...(alerts.items.length ? alerts.items.map(item) : [h('li', { className: 'muted', textContent: t('hh.none') })]));
  $('events').replaceChildren(...(events.items.length ? events.items.slice(0, 20).map((e) => h('li', {}, timeEl(e.at), h('strong', { textContent: t(`event.${e.type}`) }), ` · ${e.lockId}`)) : [h('li', { className: 'muted', textContent: t('hh.none') })]));
  $('advisories').replaceChildren(...(advisories.items.length ? advisories.items.map((a) => h('div', { className: 'card advisory' }, h('h3', { textContent: a.title }), h('p', { textContent: a.body }), h('p', { className: 'muted small' }, `${a.areaName} · `, timeEl(a.createdAt)))) : [h('p', { className: 'muted', textContent: t('hh.none') })]));
}

async function refresh() {
  state = await get('/household');
  $('address').textContent = `${state.household.address}${state.household.areaName ? ` · ${state.household.areaName}` : ''}`;
  $('delete-hint').textContent = t('hh.deleteHint', { id: state.household.id });
  renderArmed();
  renderDevices();
  renderShare();
  await renderLists();
  applyI18n();
}

$('arm-btn').addEventListener('click', async () => {
  const want = !state.household.armed;
  pending = true;
  renderArmed();
  $('arm-status').textContent = t('hh.pending');
  try {
    const r = await post('/household/arm', { armed: want });
    $('arm-status').textContent = r.confirmed ? t('hh.confirmed') : t('hh.noReply');
    state.household.armed = r.armed;
  } catch (ex) {
    $('arm-status').textContent = t('error.generic', { msg: ex.message });
  } finally {
    pending = false;
    renderArmed();
  }
});

$('sos-btn').addEventListener('click', async () => {
  if (!confirm(t('hh.sosConfirm'))) return;
  try {
    await post('/sos', {});
    toast(t('hh.sosSent'), 8000);
    await renderLists();
  } catch (ex) {
    toast(t('error.generic', { msg: ex.message }));
  }
});

function readBase64(file) {
  return new Promise((resolve, reject) => {
    const r = new window.FileReader();
    r.onload = () => resolve(String(r.result).split(',')[1]);
    r.onerror = () => reject(r.error);
    r.readAsDataURL(file);
  });
}

$('tip-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const err = $('tip-error');
  err.textContent = '';
  const file = $('tip-photo').files[0];
  if (file && file.size > 2 * 1024 * 1024) {
    err.textContent = t('hh.tipTooBig');
    return;
  }
  try {
    const body = { text: $('tip-text').value.trim() };
    if (file) body.photo = { type: file.type, data: await readBase64(file) };
    await post('/tips', body);
    $('tip-form').reset();
    toast(t('hh.tipSent'));
    await renderLists();
  } catch (ex) {
    err.textContent = ex instanceof ApiError && ex.status === 429 ? t('login.limited') : t('error.generic', { msg: ex.message });
  }
});

$('delete-btn').addEventListener('click', async () => {
  try {
    const r = await post('/household/delete-data', { confirm: $('delete-confirm').value.trim() });
    toast(t('hh.deleted', r));
    await refresh();
  } catch (ex) {
    toast(t('error.generic', { msg: ex.message }));
  }
});

// Own alerts arrive live (the stream is scoped to this household); device state is polled.
const es = new EventSource('/api/alerts/stream');
es.onopen = () => setLive(true);
es.onerror = () => setLive(false);
es.addEventListener('alert', () => {
  beep(true);
  void renderLists();
});
es.addEventListener('update', () => void renderLists());
setInterval(() => {
  if (!pending) void refresh();
}, 10_000);
await refresh();
