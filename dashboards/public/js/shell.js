// The top bar every signed-in page shares: brand, the role's pages, live indicator, language, sign-out.
import { applyI18n, langSwitcher, t } from './i18n.js';
import { logout } from './api.js';

const NAV = {
  officer: [['/console.html', 'nav.alerts'], ['/advisories.html', 'nav.advisories'], ['/survey.html', 'nav.survey'], ['/district.html', 'nav.district']],
  household: [['/household.html', 'nav.home']],
  official: [['/stats.html', 'nav.stats'], ['/district.html', 'nav.district']],
  admin: [['/audit.html', 'nav.audit'], ['/users.html', 'nav.users'], ['/stats.html', 'nav.stats'], ['/district.html', 'nav.district']],
};

/** `live`: the page holds a live stream, so the bar shows whether it is connected. */
export function shell(session, onLang, { live: withLive = false } = {}) {
  const bar = document.createElement('header');
  bar.className = 'topbar';
  const logo = document.createElement('div');
  logo.className = 'logo';
  logo.textContent = 'Khoa';
  const nav = document.createElement('nav');
  for (const [href, key] of NAV[session.role] || []) {
    const a = document.createElement('a');
    a.href = href;
    a.dataset.i18n = key;
    if (location.pathname === href) a.className = 'active';
    nav.append(a);
  }
  const spacer = document.createElement('div');
  spacer.className = 'spacer';
  const live = document.createElement('span');
  live.className = 'live-dot';
  live.id = 'live-dot';
  live.dataset.i18nTitle = 'live.off';
  const who = document.createElement('span');
  who.className = 'who';
  who.textContent = `${session.displayName}${session.areaName ? ` · ${session.areaName}` : ''}`;
  const lang = document.createElement('div');
  const out = document.createElement('button');
  out.type = 'button';
  out.dataset.i18n = 'nav.logout';
  out.addEventListener('click', () => void logout());
  bar.append(logo, nav, spacer, ...(withLive ? [live] : []), who, lang, out);
  document.body.prepend(bar);
  applyI18n();
  langSwitcher(lang, onLang);
}

export function setLive(on) {
  const dot = document.getElementById('live-dot');
  if (!dot) return;
  dot.classList.toggle('on', on);
  dot.title = t(on ? 'live.on' : 'live.off');
}

export function toast(text, ms = 4000) {
  const el = document.createElement('div');
  el.className = 'toast';
  el.setAttribute('role', 'status');
  el.textContent = text;
  document.body.append(el);
  setTimeout(() => el.remove(), ms);
}

/** Shorthand for building elements: h('div', { className: 'x' }, child, 'text'). */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (v !== undefined && v !== null && v !== false) el[k] = v;
  }
  el.append(...children.filter((c) => c !== null && c !== undefined && c !== false));
  return el;
}
