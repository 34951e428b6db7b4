import { KhoaError } from '@khoa/protocol';

/**
 * `KHOA_*` environment variables and the setting each one sets. Listed explicitly so every
 * variable is greppable and an error can name both the variable and the setting.
 */
export const ENV_SETTINGS = [
  { env: 'KHOA_DATA_DIR', path: ['dataDir'], type: 'string' },
  { env: 'KHOA_LOG_LEVEL', path: ['logLevel'], type: 'string' },
  { env: 'KHOA_MQTT_HOST', path: ['mqtt', 'host'], type: 'string' },
  { env: 'KHOA_MQTT_PORT', path: ['mqtt', 'port'], type: 'int' },
  { env: 'KHOA_MQTT_TLS_PORT', path: ['mqtt', 'tls', 'port'], type: 'int' },
  { env: 'KHOA_MQTT_TLS_CERT', path: ['mqtt', 'tls', 'cert'], type: 'string' },
  { env: 'KHOA_MQTT_TLS_KEY', path: ['mqtt', 'tls', 'key'], type: 'string' },
  { env: 'KHOA_MQTT_WS_PORT', path: ['mqtt', 'ws', 'port'], type: 'int' },
  { env: 'KHOA_MQTT_EXTERNAL_URL', path: ['mqtt', 'external', 'url'], type: 'string' },
  { env: 'KHOA_MQTT_EXTERNAL_USERNAME', path: ['mqtt', 'external', 'username'], type: 'string' },
  { env: 'KHOA_MQTT_EXTERNAL_PASSWORD', path: ['mqtt', 'external', 'password'], type: 'string' },
  { env: 'KHOA_MQTT_EXTERNAL_CLIENT_ID', path: ['mqtt', 'external', 'clientId'], type: 'string' },
  { env: 'KHOA_MQTT_EXTERNAL_SHARE_GROUP', path: ['mqtt', 'external', 'shareGroup'], type: 'string' },
  { env: 'KHOA_HTTP_HOST', path: ['http', 'host'], type: 'string' },
  { env: 'KHOA_HTTP_PORT', path: ['http', 'port'], type: 'int' },
  { env: 'KHOA_DB_URL', path: ['db', 'url'], type: 'string' },
  { env: 'KHOA_DB_SCHEMA', path: ['db', 'schema'], type: 'string' },
  { env: 'KHOA_DB_HUB_BUSY_TIMEOUT_MS', path: ['db', 'hubBusyTimeoutMs'], type: 'int' },
  { env: 'KHOA_PIPELINE_WORKERS', path: ['pipeline', 'workers'], type: 'int' },
  { env: 'KHOA_RULES_TICK_MS', path: ['rules', 'tickMs'], type: 'int' },
  { env: 'KHOA_RULES_RESUME_LEASE_MS', path: ['rules', 'resumeLeaseMs'], type: 'int' },
] as const;

/** The variable that sets a dotted setting path, for error messages. */
export function envNameOf(path: string): string | undefined {
  return ENV_SETTINGS.find((e) => e.path.join('.') === path)?.env;
}

/** Writes the set variables into `target` (a raw, not yet validated settings object). */
export function applyEnv(target: Record<string, unknown>, env: NodeJS.ProcessEnv): void {
  for (const { env: name, path, type } of ENV_SETTINGS) {
    const raw = env[name];
    if (raw === undefined || raw === '') continue;
    let value: string | number = raw;
    if (type === 'int') {
      if (!/^\d+$/.test(raw.trim())) {
        throw new KhoaError('KHOA_ERR_CONFIG_INVALID', `${name}=${JSON.stringify(raw)} is not a whole number`, { env: name, setting: path.join('.') });
      }
      value = Number(raw.trim());
    }
    let node = target;
    for (const key of path.slice(0, -1)) {
      const next = node[key];
      if (next === undefined) node[key] = {};
      else if (typeof next !== 'object' || next === null || Array.isArray(next)) {
        throw new KhoaError('KHOA_ERR_CONFIG_INVALID', `${name} sets ${path.join('.')} but ${key} is not an object`, { env: name });
      }
      node = node[key] as Record<string, unknown>;
    }
    node[path[path.length - 1] as string] = value;
  }
}
