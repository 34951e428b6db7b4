// Vietnamese first, English available. Dictionaries are flat key → text maps, one file per
// language; `{name}` placeholders are filled from the vars object.
import vi from './i18n/vi.js';
import en from './i18n/en.js';

const DICTS = { vi, en };
const KEY = 'khoa.lang';

export function lang() {
  const l = localStorage.getItem(KEY);
  return l && DICTS[l] ? l : 'vi';
}

export function t(key, vars = {}) {
  const s = DICTS[lang()][key] ?? DICTS.vi[key] ?? key;
  return s.replace(/\{(\w+)\}/g, (_, k) => (vars[k] ?? `{${k}}`));
}

/** Fills every [data-i18n] (text), [data-i18n-placeholder] and [data-i18n-title] under root. */
export function applyI18n(root = document) {
  document.documentElement.lang = lang();
  for (const el of root.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll('[data-i18n-placeholder]')) el.placeholder = t(el.dataset.i18nPlaceholder);
  for (const el of root.querySelectorAll('[data-i18n-title]')) el.title = t(el.dataset.i18nTitle);
}

/** Two buttons (VI / EN) that switch language and reload the page's texts. */
export function langSwitcher(container, onChange) {
  container.classList.add('lang');
  container.replaceChildren();
  for (const l of Object.keys(DICTS)) {
    const b = document.createElement('button');
    b.type = 'button';
    b.textContent = l.toUpperCase();
    b.setAttribute('aria-pressed', String(l === lang()));
    b.addEventListener('click', () => {
      localStorage.setItem(KEY, l);
      applyI18n();
      langSwitcher(container, onChange);
      onChange?.();
    });
    container.append(b);
  }
}
