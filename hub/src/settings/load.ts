import { readFileSync } from 'node:fs';
import type { TSchema } from '@sinclair/typebox';
import { errorCatalogue, KhoaError } from '@khoa/protocol';
import { applyEnv, envNameOf } from './env.ts';
import { SettingsSchema, settingsValidator, type Settings } from './schema.ts';

export interface LoadOptions {
  /** JSON settings file; optional. */
  file?: string;
  env?: NodeJS.ProcessEnv;
  /** Programmatic overrides applied last (tests, the demo). */
  overrides?: Record<string, unknown>;
}

/**
 * Builds the settings: file, then `KHOA_*` variables, then overrides, then defaults and
 * validation by the schema. Throws KHOA_ERR_CONFIG_FILE / KHOA_ERR_CONFIG_INVALID naming the
 * offending setting (and its variable).
 */
export function loadSettings(opts: LoadOptions = {}): Settings {
  let raw: Record<string, unknown> = {};
  if (opts.file) {
    let text: string;
    try {
      text = readFileSync(opts.file, 'utf8');
    } catch (err) {
      throw new KhoaError('KHOA_ERR_CONFIG_FILE', `${opts.file}: ${(err as Error).message}`, { file: opts.file }, { cause: err });
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (err) {
      throw new KhoaError('KHOA_ERR_CONFIG_FILE', `${opts.file} is not valid JSON`, { file: opts.file }, { cause: err });
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new KhoaError('KHOA_ERR_CONFIG_FILE', `${opts.file} must hold a JSON object`, { file: opts.file });
    }
    raw = parsed as Record<string, unknown>;
  }
  applyEnv(raw, opts.env ?? process.env);
  if (opts.overrides) deepMerge(raw, opts.overrides);
  return validateSettings(raw);
}

/** Fills defaults into `raw` (in place) and validates it. */
export function validateSettings(raw: unknown): Settings {
  const result = settingsValidator.check(raw);
  if (result.ok) return result.value;
  const jsonPath = String(result.error.context.path ?? '');
  // JSON pointer to keys; a key may hold "/" (camera keys `device/camera`), written "~1".
  const keys = jsonPath === '(root)' ? [] : jsonPath.replace(/^\//, '').split('/').map((k) => k.replaceAll('~1', '/').replaceAll('~0', '~'));
  const path = keys.join('.');
  // The validator words it with the JSON pointer (`/pipeline/cameras/a~1b/zones/0 must …`); an
  // operator edits `pipeline.cameras["a/b"].zones[0]`, so the message names the dotted path.
  const raw0 = result.error.message.slice(errorCatalogue.KHOA_ERR_CONFIG_INVALID.length + 2);
  const detail = jsonPath && jsonPath !== '(root)' && raw0.startsWith(jsonPath) ? path + raw0.slice(jsonPath.length) : raw0;
  const unknown = detail.includes('additional properties') ? unknownKeyAt(raw, keys) : undefined;
  const setting = unknown ? [path, unknown].filter(Boolean).join('.') : path || '(root)';
  const env = envNameOf(setting);
  const what = unknown ? `unknown setting "${setting}"` : detail;
  throw new KhoaError('KHOA_ERR_CONFIG_INVALID', `${what}${env ? ` (set by ${env})` : ''}`, { setting, env });
}

/** Names the first key at `path` that the schema does not know, for a useful message. */
function unknownKeyAt(raw: unknown, keys: string[]): string | undefined {
  let value: unknown = raw;
  let schema: TSchema | undefined = SettingsSchema;
  for (const key of keys) {
    value = (value as Record<string, unknown>)[key];
    // A record (per-camera settings) describes its values under patternProperties.
    schema = (schema?.properties as Record<string, TSchema> | undefined)?.[key] ?? Object.values((schema?.patternProperties as Record<string, TSchema> | undefined) ?? {})[0];
  }
  const known = Object.keys((schema?.properties as object | undefined) ?? {});
  return isPlainObject(value) ? Object.keys(value).find((k) => !known.includes(k)) : undefined;
}

function deepMerge(target: Record<string, unknown>, source: Record<string, unknown>): void {
  for (const [key, value] of Object.entries(source)) {
    const existing = target[key];
    if (isPlainObject(value) && isPlainObject(existing)) deepMerge(existing, value);
    else target[key] = isPlainObject(value) ? structuredClone(value) : value;
  }
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
