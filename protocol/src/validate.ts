import AjvModule, { type ValidateFunction } from 'ajv';
import type { Static, TSchema } from '@sinclair/typebox';
import { KhoaError, type KhoaErrorCode } from './errors.ts';

/**
 * The project's one validator. Schemas are TypeBox (JSON Schema with static types), compiled
 * once by this ajv instance at module load; the hub's HTTP layer reuses the same schemas.
 */
// ajv is CommonJS; under NodeNext its class is the default export's `default`.
const Ajv = AjvModule.default;
export const ajv = new Ajv({ allErrors: false, removeAdditional: false, useDefaults: true, coerceTypes: false });
ajv.addFormat('date-time', /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})$/);

export type Result<T> = { ok: true; value: T } | { ok: false; error: KhoaError };

export interface Validator<S extends TSchema> {
  schema: S;
  /** Returns the value typed, or a coded error naming the first offending field. */
  check(value: unknown): Result<Static<S>>;
  /** Like `check`, but throws the error. */
  assert(value: unknown): Static<S>;
}

export function compile<S extends TSchema>(schema: S, code: KhoaErrorCode = 'KHOA_ERR_PAYLOAD_INVALID'): Validator<S> {
  const fn: ValidateFunction = ajv.compile(schema);
  const check = (value: unknown): Result<Static<S>> => {
    if (fn(value)) return { ok: true, value: value as Static<S> };
    const first = fn.errors?.[0];
    const where = first?.instancePath || '(root)';
    return {
      ok: false,
      error: new KhoaError(code, `${where} ${first?.message ?? 'is invalid'}`, { path: where, schema: schema.$id ?? schema.title }),
    };
  };
  return {
    schema,
    check,
    assert(value) {
      const r = check(value);
      if (!r.ok) throw r.error;
      return r.value;
    },
  };
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Parses a JSON payload from the wire: bounded size, strict UTF-8, valid JSON, then the schema.
 * Never throws; a bad payload comes back as a coded error for the caller to count and log.
 */
export function parseJsonPayload<S extends TSchema>(v: Validator<S>, payload: Uint8Array, maxBytes = 64 * 1024): Result<Static<S>> {
  if (payload.byteLength > maxBytes) {
    return { ok: false, error: new KhoaError('KHOA_ERR_PAYLOAD_TOO_LARGE', `${payload.byteLength} bytes > ${maxBytes}`, { bytes: payload.byteLength, max: maxBytes }) };
  }
  let text: string;
  try {
    text = utf8.decode(payload);
  } catch {
    return { ok: false, error: new KhoaError('KHOA_ERR_PAYLOAD_INVALID', 'not valid UTF-8', { reason: 'utf8' }) };
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, error: new KhoaError('KHOA_ERR_PAYLOAD_INVALID', 'not valid JSON', { reason: 'json' }) };
  }
  return v.check(value);
}
