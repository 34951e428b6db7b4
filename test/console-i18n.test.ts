import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ALERT_KINDS, ALERT_STATUSES, CAMERA_STATES, FACT_KINDS, LOCK_EVENT_TYPES, ROLES, SURVEY_ITEMS } from '@khoa/protocol';

const pub = join(import.meta.dirname, '../dashboards/public');
const vi = (await import(join(pub, 'js/i18n/vi.js'))).default as Record<string, string>;
const en = (await import(join(pub, 'js/i18n/en.js'))).default as Record<string, string>;

/** Every text key the pages use literally: t('…') in scripts, data-i18n* in HTML and scripts. */
function usedKeys(): Set<string> {
  const keys = new Set<string>();
  const files = [...readdirSync(pub).filter((f) => f.endsWith('.html')).map((f) => join(pub, f)), ...readdirSync(join(pub, 'js')).filter((f) => f.endsWith('.js')).map((f) => join(pub, 'js', f))];
  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/\bt\('([a-zA-Z0-9_.-]+)'/g)) keys.add(m[1]!);
    for (const m of text.matchAll(/data-i18n(?:-placeholder|-title)?="([a-zA-Z0-9_.-]+)"/g)) keys.add(m[1]!);
    for (const m of text.matchAll(/i18n(?:Placeholder|Title)? = '([a-zA-Z0-9_.-]+)'/g)) keys.add(m[1]!);
  }
  return keys;
}

describe('page dictionaries', () => {
  it('Vietnamese and English have the same keys, none empty', () => {
    expect(Object.keys(en).sort()).toEqual(Object.keys(vi).sort());
    for (const [k, v] of [...Object.entries(vi), ...Object.entries(en)]) expect(v.trim(), k).not.toBe('');
  });

  it('name every key the pages use and every value of the protocol they show', () => {
    const dynamic = [
      ...ALERT_KINDS.map((k) => `kind.${k}`),
      ...ALERT_STATUSES.map((s) => `status.${s}`),
      ...LOCK_EVENT_TYPES.map((e) => `event.${e}`),
      ...CAMERA_STATES.map((c) => `cam.${c}`),
      ...ROLES.map((r) => `role.${r}`),
      ...SURVEY_ITEMS.map((i) => `survey.item.${i}`),
      ...FACT_KINDS.map((k) => `facts.${k}`),
      ...['unlocked', 'door_open'].map((s) => `facts.state.${s}`),
      'facts.sos.household_page',
      ...['acknowledge', 'resolve', 'false-alarm', 'assign'].map((a) => `action.${a}`),
    ];
    const used = usedKeys();
    expect(used.size).toBeGreaterThan(80);
    const missing = [...used, ...dynamic].filter((k) => !(k in vi));
    expect(missing).toEqual([]);
  });
});
