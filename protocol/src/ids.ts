import { Type } from '@sinclair/typebox';

/**
 * Ids of households, devices, locks and cameras double as MQTT topic segments and as the
 * device's MQTT username, so they are restricted to characters that can never be a topic
 * separator or wildcard (`/`, `+`, `#`) nor a `$` system prefix.
 */
export const ID_PATTERN = '^[a-z0-9][a-z0-9_-]{0,63}$';
const idRegex = new RegExp(ID_PATTERN);

export function isValidId(value: unknown): value is string {
  return typeof value === 'string' && idRegex.test(value);
}

export const Id = Type.String({ pattern: ID_PATTERN, description: 'lower-case id: a-z, 0-9, _ and -, 1 to 64 characters' });
