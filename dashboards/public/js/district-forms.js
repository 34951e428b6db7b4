// Forms of the district dashboard: officials record a commune's class and movement rating and a
// unit's "An toàn về ANTT" recognition; administrators import the area tree from CSV.
import { t } from './i18n.js';
import { ApiError, post } from './api.js';
import { h, toast } from './shell.js';

const CLASSES = ['trong_diem_phuc_tap', 'phuc_tap', 'it_phuc_tap'];
const RATINGS = ['tot', 'kha', 'trung_binh', 'yeu'];

function csrfToken() {
  const m = document.cookie.match(/(?:^|;\s*)khoa_csrf=([^;]+)/);
  return m ? decodeURIComponent(m[1]) : '';
}

/** Class, rating and recognition of the units listed, for the period shown. */
export function assessPanel(report, onDone) {
  const units = report.children.length ? report.children : [report.area];
  const unit = h('select', { id: 'assess-area' }, ...units.map((u) => h('option', { value: u.areaId, textContent: u.name })));
  const cls = h('select', { id: 'assess-class' }, h('option', { value: '', textContent: '—' }), ...CLASSES.map((c) => h('option', { value: c, textContent: t(`district.class.${c}`) })));
  const rating = h('select', { id: 'assess-rating' }, h('option', { value: '', textContent: '—' }), ...RATINGS.map((r) => h('option', { value: r, textContent: t(`district.rating.${r}`) })));
  const recognised = h('input', { type: 'checkbox', id: 'assess-recognised' });
  const err = h('p', { className: 'error', role: 'alert' });
  const save = async (e) => {
    e.preventDefault();
    err.textContent = '';
    try {
      await post(`/district/areas/${encodeURIComponent(unit.value)}/standing`, { period: report.period.label, class: cls.value || null, rating: rating.value || null });
      await post(`/district/areas/${encodeURIComponent(unit.value)}/recognition`, { year: report.period.year, recognised: recognised.checked });
      toast(t('district.saved'));
      onDone();
    } catch (x) {
      err.textContent = t('error.generic', { msg: x.message });
    }
  };
  return h('form', { className: 'panel stack', id: 'assess-form', onsubmit: save },
    h('h2', { textContent: t('district.assess', { period: report.period.label }) }),
    h('div', { className: 'district-head' },
      h('label', {}, t('district.col.name'), unit), h('label', {}, t('district.col.class'), cls), h('label', {}, t('district.col.rating'), rating),
      h('label', {}, h('span', { textContent: t('district.recognisedYear', { y: report.period.year }) }), recognised),
      h('button', { className: 'btn primary', type: 'submit', textContent: t('district.save') })),
    err);
}

/** CSV upload of the area tree and census counts; every error of the file is listed. */
export function importPanel(onDone = undefined) {
  const file = h('input', { type: 'file', id: 'import-file', accept: '.csv,text/csv' });
  const out = h('div', { id: 'import-result' });
  const send = async (e) => {
    e.preventDefault();
    out.replaceChildren();
    const f = file.files?.[0];
    if (!f) return;
    const res = await fetch('/api/district/areas/import', { method: 'POST', credentials: 'same-origin', headers: { 'content-type': 'text/csv', 'x-khoa-csrf': csrfToken(), accept: 'application/json' }, body: await f.text() });
    const body = await res.json().catch(() => null);
    if (res.ok) {
      // The page is not redrawn here, so the result stays readable; the table shows the new
      // areas on the next view.
      out.append(h('p', { className: 'notice', textContent: t('district.imported', body) }));
      onDone?.();
      return;
    }
    const errors = body?.context?.errors;
    out.append(h('p', { className: 'error', role: 'alert', textContent: t('error.generic', { msg: new ApiError(res.status, body).message }) }));
    if (Array.isArray(errors)) out.append(h('ul', {}, ...errors.map((x) => h('li', { textContent: t('district.rowError', { row: x.row, column: x.column ?? '—', reason: x.reason }) }))));
  };
  return h('form', { className: 'panel stack', id: 'import-form', onsubmit: send },
    h('h2', { textContent: t('district.import') }),
    h('p', { className: 'muted small', textContent: t('district.importHelp') }),
    h('div', { className: 'district-head' }, file, h('button', { className: 'btn', type: 'submit', textContent: t('district.upload') })),
    out);
}

/** An administrator's change to the area shown: name, class and census counts (empty = keep). */
export function areaEditPanel(report, onDone) {
  const area = report.area;
  const name = h('input', { id: 'edit-name', value: area.name, required: true, maxLength: 200 });
  const kind = h('select', { id: 'edit-kind' },
    h('option', { value: 'keep', textContent: t('district.edit.keep') }),
    h('option', { value: 'urban', textContent: t('district.edit.urban') }),
    h('option', { value: 'rural', textContent: t('district.edit.rural') }));
  const num = (id) => h('input', { id, type: 'number', min: '0', step: '1', inputMode: 'numeric' });
  const households = num('edit-households');
  const ra = num('edit-ra');
  const raCovered = num('edit-ra-covered');
  const ag = num('edit-ag');
  const agCovered = num('edit-ag-covered');
  const err = h('p', { className: 'error', role: 'alert' });
  const save = async (e) => {
    e.preventDefault();
    err.textContent = '';
    const body = {};
    if (name.value.trim() && name.value.trim() !== area.name) body.name = name.value.trim();
    if (kind.value !== 'keep') body.kind = kind.value;
    for (const [field, input] of [['households', households], ['residentialAreas', ra], ['residentialAreasCovered', raCovered], ['agencies', ag], ['agenciesCovered', agCovered]]) {
      if (input.value !== '') body[field] = Number(input.value);
    }
    if (!Object.keys(body).length) return;
    const res = await fetch(`/api/district/areas/${encodeURIComponent(area.areaId)}`, { method: 'PUT', credentials: 'same-origin', headers: { 'content-type': 'application/json', 'x-khoa-csrf': csrfToken(), accept: 'application/json' }, body: JSON.stringify(body) });
    const out = await res.json().catch(() => null);
    if (res.ok) {
      toast(t('district.saved'));
      onDone();
      return;
    }
    const errors = out?.context?.errors;
    err.textContent = t('error.generic', { msg: Array.isArray(errors) && errors.length ? errors.map((x) => x.reason).join('; ') : new ApiError(res.status, out).message });
  };
  return h('form', { className: 'panel stack', id: 'edit-form', onsubmit: save },
    h('h2', { textContent: t('district.edit', { name: area.name }) }),
    h('p', { className: 'muted small', textContent: t('district.editHelp') }),
    h('div', { className: 'district-head' },
      h('label', {}, t('district.edit.name'), name), h('label', {}, t('district.edit.kind'), kind), h('label', {}, t('district.edit.households'), households)),
    h('div', { className: 'district-head' },
      h('label', {}, t('district.edit.residential'), ra, raCovered), h('label', {}, t('district.edit.agencies'), ag, agCovered),
      h('button', { className: 'btn primary', type: 'submit', textContent: t('district.save') })),
    err);
}
